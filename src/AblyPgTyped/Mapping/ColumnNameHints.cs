using System;
using System.Collections.Generic;
using System.Linq;
using AblyPgTyped.Mapping;

namespace AblyPgTyped;

/// <summary>
/// Finds the column a mapping most likely meant when the table has no column of the mapped name, so a start-up error can
/// say what to change: a column that differs only in case, or that another <see cref="AblyPgTyped.ColumnNaming"/> would give.
/// </summary>
public static class ColumnNameHints
{
    /// <summary>
    /// What to change so that <paramref name="column"/> names one of <paramref name="tableColumns"/>, as a clause to
    /// append to an error (for example <c>the table has "order_id", the snake_case name of OrderId: set
    /// ColumnNaming = ColumnNaming.SnakeCase on [AblyTable] or [assembly: AblyTableDefaults], or put
    /// [AblyColumn("order_id")] on OrderId</c>); <see langword="null"/> when no column is close.
    /// </summary>
    /// <param name="column">The mapped column the table lacks.</param>
    /// <param name="naming">The convention that named the mapping's columns (<see cref="AblyTable.ColumnNaming"/>).</param>
    /// <param name="tableColumns">The table's columns, exactly as PostgreSQL stores them.</param>
    public static string? Suggest(AblyColumn column, ColumnNaming naming, IEnumerable<string> tableColumns)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(tableColumns);
        var columns = tableColumns as ICollection<string> ?? tableColumns.ToList();
        if (columns.Contains(column.Name, StringComparer.Ordinal))
        {
            return null;
        }

        // A name that the convention did not give came from [AblyColumn]: only that attribute can change it.
        var named = column.Name == Apply(naming, column.Property);
        if (named)
        {
            foreach (var other in new[] { ColumnNaming.Exact, ColumnNaming.SnakeCase }.Where(n => n != naming))
            {
                var candidate = Apply(other, column.Property);
                if (columns.Contains(candidate, StringComparer.Ordinal))
                {
                    var description = other == ColumnNaming.Exact ? "the property's own name" : "the snake_case name of " + column.Property;
                    return $"the table has \"{candidate}\", {description}: set ColumnNaming = ColumnNaming.{other} on [AblyTable] "
                        + $"or [assembly: AblyTableDefaults], or put [AblyColumn(\"{candidate}\")] on {column.Property}";
                }
            }
        }

        var close = columns.FirstOrDefault(c => string.Equals(c, column.Name, StringComparison.OrdinalIgnoreCase))
            ?? columns.FirstOrDefault(c => string.Equals(Squeeze(c), Squeeze(column.Name), StringComparison.OrdinalIgnoreCase))
            ?? columns.FirstOrDefault(c => string.Equals(Squeeze(c), Squeeze(column.Property), StringComparison.OrdinalIgnoreCase));
        return close is null
            ? null
            : $"the table has \"{close}\" (column names are matched exactly, and PostgreSQL folds unquoted names to lower case): "
                + $"put [AblyColumn(\"{close}\")] on {column.Property}";
    }

    private static string Apply(ColumnNaming naming, string property) =>
        naming == ColumnNaming.SnakeCase ? SnakeCaseNames.From(property) : property;

    private static string Squeeze(string name) => name.Replace("_", "", StringComparison.Ordinal);
}
