using System.Globalization;

namespace AblyPgTyped.Observability;

/// <summary>A size as log lines show it: <c>512 B</c>, <c>12.5 MiB</c>, <c>1.2 GiB</c>.</summary>
internal readonly record struct HumanBytes(long Value)
{
    public override string ToString()
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double size = Value;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0
            ? Value.ToString(CultureInfo.InvariantCulture) + " B"
            : size.ToString(size < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
