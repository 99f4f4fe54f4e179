namespace AblyPgTyped.Capture.Logical;

/// <summary>The capture row being filled: consecutive changes of one table and operation within a transaction.</summary>
internal sealed class CaptureChunk
{
    public ByteBuilder Data { get; } = new(4096);

    public RelationPlan? Plan { get; set; }

    public char Op { get; private set; }

    public int FirstIndex { get; private set; }

    public int Count { get; set; }

    public void Start(RelationPlan plan, char op, int firstIndex)
    {
        Plan = plan;
        Op = op;
        FirstIndex = firstIndex;
        Count = 0;
        Data.Clear();
        Data.Append((byte)'[');
    }
}
