using System.Text;

namespace AblyPgTyped.Generators;

/// <summary>A StringBuilder that indents, so the emitter reads top to bottom like the code it writes.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent--;
        return this;
    }

    /// <summary>Appends text verbatim, without indenting it (for multi-line literals).</summary>
    public SourceWriter Raw(string text)
    {
        _text.Append(text);
        return this;
    }

    public override string ToString() => _text.ToString();
}
