using System.Collections.Generic;

namespace AblyPgTyped.Capture;

/// <summary>
/// Which store ids below the highest id read may still appear: the gaps left by transactions that took an id but had
/// not committed when a later id was read. Reads look into these ranges again until no transaction that could fill
/// them is still running, so a late commit is never skipped and an idle writer delays nobody else.
/// </summary>
/// <remarks>
/// A transaction that fills a gap had its transaction id before the read that saw the gap. A snapshot's <c>xmax</c>
/// does not bound it (that is one past the latest <em>completed</em> id), so the reader takes a fresh transaction id
/// after such a read (<see cref="Bound"/>): every filler's id is below it. Once a later snapshot's <c>xmin</c> reaches
/// that id, every such transaction has ended, and one more look at the range settles it. Not thread-safe: the
/// drain's reader owns it.
/// </remarks>
internal sealed class UnreadRanges
{
    private readonly List<Gap> _gaps = [];
    private (long Low, long High)[]? _open = [];

    /// <summary>The highest id handed out; rows above it are new. Null until the first row is read.</summary>
    public long? MaxRead { get; private set; }

    /// <summary>
    /// The ranges that may still fill, as of the last <see cref="Observe"/>: the array is replaced, never changed, so
    /// it may be handed to another thread. Built when asked for (once per read that found changes), not per read.
    /// </summary>
    public (long Low, long High)[] Open => _open ??= _gaps.ConvertAll(g => (g.Low, g.High)).ToArray();

    /// <summary>Whether some range still needs a transaction id that bounds its fillers (see <see cref="Bound"/>).</summary>
    public bool NeedsBound => _gaps.Exists(g => g.Ceiling is null);

    /// <summary>
    /// Gives every range seen so far without a bound the transaction id <paramref name="freshXid"/>, taken after
    /// the reads that saw them: their fillers' ids are all below it.
    /// </summary>
    public void Bound(long freshXid)
    {
        for (var i = 0; i < _gaps.Count; i++)
        {
            if (_gaps[i].Ceiling is null)
            {
                _gaps[i] = _gaps[i] with { Ceiling = freshXid };
            }
        }
    }

    /// <summary>The ranges a read must look into, as parallel arrays of inclusive bounds.</summary>
    public (long[] Low, long[] High) Bounds()
    {
        var low = new long[_gaps.Count];
        var high = new long[_gaps.Count];
        for (var i = 0; i < _gaps.Count; i++)
        {
            (low[i], high[i]) = (_gaps[i].Low, _gaps[i].High);
        }

        return (low, high);
    }

    /// <summary>
    /// Records what one read returned (ids ascending) under a snapshot with the given <c>xmin</c>, and retires the
    /// ranges that can no longer fill.
    /// </summary>
    public void Observe(IReadOnlyList<long> ids, long snapshotXmin)
    {
        var previousMax = MaxRead;
        foreach (var id in ids)
        {
            if (MaxRead is not { } max)
            {
                // Below the first id seen, only a transaction still running can add a row.
                _gaps.Add(new Gap(long.MinValue, id - 1, null));
                MaxRead = id;
            }
            else if (id > max)
            {
                if (id > max + 1)
                {
                    _gaps.Add(new Gap(max + 1, id - 1, null));
                }

                MaxRead = id;
            }
            else
            {
                Fill(id);
            }
        }

        // Rows come in id order and gaps lie below every new id: a read that reached a new row, or read nothing,
        // looked into every range; otherwise only into those below its last row.
        var lastId = ids.Count > 0 ? ids[^1] : (long?)null;
        var coveredAll = lastId is null || (previousMax is { } pm ? lastId > pm : true);
        _gaps.RemoveAll(g => g.Ceiling is { } ceiling && snapshotXmin >= ceiling && (coveredAll || g.High < lastId));
        if (_gaps.Count > 0 || _open is not { Length: 0 })
        {
            _open = null;
        }
    }

    private void Fill(long id)
    {
        for (var i = 0; i < _gaps.Count; i++)
        {
            var gap = _gaps[i];
            if (id < gap.Low || id > gap.High)
            {
                continue;
            }

            _gaps.RemoveAt(i);
            if (id < gap.High)
            {
                _gaps.Insert(i, gap with { Low = id + 1 });
            }

            if (id > gap.Low)
            {
                _gaps.Insert(i, gap with { High = id - 1 });
            }

            return;
        }
    }

    /// <param name="Low">Lowest id, inclusive.</param>
    /// <param name="High">Highest id, inclusive.</param>
    /// <param name="Ceiling">A transaction id above every filler's, once taken (null until then).</param>
    private sealed record Gap(long Low, long High, long? Ceiling);
}
