using Dial.Data;

namespace Dial.Tests;

public class TableWarningsTests
{
    [Fact]
    public void BundledRouterBenchWarningsAreListedInFullOrSummarisedInOneLine()
    {
        var table = BundledData.RouterBench;
        Assert.Equal(14, TableWarnings.Full(table).Count());
        Assert.All(TableWarnings.Full(table), line => Assert.StartsWith("warning: ", line));
        var summary = Assert.Single(TableWarnings.Summary(table));
        Assert.Equal($"warning: 14 reused ids kept as ID~2; see `dial data stats {table.Source}`", summary);
    }

    [Fact]
    public void ATableWithoutWarningsPrintsNothingAndASingleWarningIsShownAsItIs()
    {
        Assert.Empty(TableWarnings.Summary(BundledData.AlpacaEval));
        var path = Path.Combine(Directory.CreateTempSubdirectory("dial-warn-").FullName, "dup.jsonl");
        File.WriteAllText(path, """
            {"id": "a", "split": "train", "prompt": "x", "results": {"big": {"score": 1, "cost_usd": 0}}}
            {"id": "a", "split": "train", "prompt": "x x", "results": {"big": {"score": 0, "cost_usd": 0}}}
            """);
        var table = RoutingTableReader.Read(path);
        Assert.Equal(TableWarnings.Full(table), TableWarnings.Summary(table));
    }
}
