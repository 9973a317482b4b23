using Dial.Data;

namespace Dial.Tests;

/// <summary>The routing tables bundled in the repository's data/ folder, read once per test run.</summary>
public static class BundledData
{
    private static readonly Lazy<RoutingTable> RouterBenchTable = new(() => RoutingTableReader.Read(PathOf("routerbench.jsonl.gz")));
    private static readonly Lazy<RoutingTable> AlpacaEvalTable = new(() => RoutingTableReader.Read(PathOf("alpacaeval.jsonl.gz")));

    public static RoutingTable RouterBench => RouterBenchTable.Value;

    public static RoutingTable AlpacaEval => AlpacaEvalTable.Value;

    public static string PathOf(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"bundled data file {file} not found above {AppContext.BaseDirectory}");
    }
}
