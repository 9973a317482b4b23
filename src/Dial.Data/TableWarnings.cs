namespace Dial.Data;

/// <summary>
/// How commands show a table's <see cref="RoutingTable.Warnings"/> (the readers' only warnings are ids reused for
/// a different prompt, kept as <c>ID~2</c>): <c>dial data stats</c>, which is about the table, lists each one;
/// every other command only uses the table, so it gets one line that counts them and says where to see them.
/// </summary>
public static class TableWarnings
{
    public static IEnumerable<string> Full(RoutingTable table) => table.Warnings.Select(w => $"warning: {w}");

    public static IEnumerable<string> Summary(RoutingTable table) => table.Warnings.Count switch
    {
        0 => [],
        1 => Full(table),
        var n => [$"warning: {n} reused ids kept as ID~2; see `dial data stats {table.Source}`"],
    };
}
