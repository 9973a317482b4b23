using Dial.Data;

namespace Dial.Cli;

/// <summary>Reads the routing table a command works on and reports its warnings in one summary line.</summary>
internal static class TableInput
{
    public static RoutingTable Read(string path, string? models, TextWriter error)
    {
        var table = RoutingTableReader.Read(path, models);
        foreach (var line in TableWarnings.Summary(table)) error.WriteLine(line);
        return table;
    }
}
