using System.IO.Compression;
using Dial.Data;

namespace Dial.Tests;

public sealed class RoutingTableReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dial-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Cards = """
        [{"name": "big", "provider": "p", "input_usd_per_mtok": 10, "output_usd_per_mtok": 30},
         {"name": "small", "provider": "p", "input_usd_per_mtok": 0.2, "output_usd_per_mtok": 0.2, "params_b": 7, "open_weights": true}]
        """;

    private string Write(string name, string content, string? cards = Cards)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        if (cards is not null) File.WriteAllText(Path.Combine(_dir, name.Split('.')[0] + ".models.json"), cards);
        return path;
    }

    [Fact]
    public void ReadsJsonLinesWithCardsAndKeepsMissingCellsMissing()
    {
        var path = Write("t.jsonl", """
            {"id": "a", "task": "qa", "split": "train", "prompt": "2+2?", "results": {"big": {"score": 1.0, "cost_usd": 0.01, "output_tokens": 3, "response": "4"}, "small": {"score": 0.0, "cost_usd": 0.0001}}}

            {"id": "b", "task": "qa", "split": "test", "prompt": "3+3?", "results": {"big": {"score": 0.5, "cost_usd": 0.02}}}
            """);
        var t = RoutingTableReader.Read(path);
        Assert.Equal(["big", "small"], t.Models.Select(m => m.Name));
        Assert.Equal(7, t.Models[1].ParamsB);
        Assert.Equal(2, t.PromptCount);
        Assert.Equal(3, t.Prompts[1].Line);
        Assert.Equal(new Outcome(1.0, 0.01, 3), t.Outcome(0, 0));
        Assert.Equal("4", t.Response(0, 0));
        Assert.False(t.Has(1, 1));
        Assert.Null(t.Outcome(1, 1));
        Assert.True(double.IsNaN(t.Score(1, 1)));
        Assert.Equal(0.0, t.Score(0, 1));
        var test = t.Where(Split.Test);
        Assert.Equal("b", Assert.Single(test.Prompts).Id);
        Assert.Equal(0.5, test.Score(0, 0));
    }

    [Fact]
    public void ReadsGzippedFilesByContentNotName()
    {
        var path = Path.Combine(_dir, "z.jsonl.gz");
        using (var gz = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest)))
            gz.Write("""{"id": "a", "split": "train", "prompt": "hi", "results": {"big": {"score": 1, "cost_usd": 0}}}""");
        File.WriteAllText(Path.Combine(_dir, "z.models.json"), Cards);
        var t = RoutingTableReader.Read(path);
        Assert.Equal(1.0, t.Score(0, 0));
        Assert.Equal("", t.Prompts[0].Task);
    }

    [Theory]
    [InlineData("""{"id": "a", "split": "train", "prompt": "x", "results": {"big": {"score": 1.5, "cost_usd": 0}}}""", 1, "results.big.score", "[0, 1]")]
    [InlineData("""{"id": "a", "split": "train", "prompt": "x", "results": {"big": {"score": 1, "cost_usd": -1}}}""", 1, "results.big.cost_usd", "non-negative")]
    [InlineData("""{"id": "a", "split": "train", "prompt": "x", "results": {"huge": {"score": 1, "cost_usd": 0}}}""", 1, "results.huge", "unknown model")]
    [InlineData("""{"id": "a", "split": "dev", "prompt": "x", "results": {}}""", 1, "split", "'train' or 'test'")]
    [InlineData("""{"id": "a", "split": "train", "results": {}}""", 1, "prompt", "required")]
    [InlineData("""{"id": "a", "split": "train", "prompt": "x", "results": {"big": {"cost_usd": 0}}}""", 1, "results.big.score", "required")]
    [InlineData("{\"id\": \"a\", \"split\": \"train\", \"prompt\": \"x\", \"results\": {}}\n{\"id\": \"a\", \"split\": \"test\", \"prompt\": \"x\", \"results\": {}}", 2, "id", "duplicate id 'a'")]
    [InlineData("{\"id\": \"a\", \"split\": \"train\", \"prompt\": \"x\", \"results\": {}}\n{\"id\": \"b\", \"split\": \"train\", \"prompt\": ", 2, null, "malformed JSON")]
    public void RejectsBadRowsNamingFileLineAndField(string content, int line, string? field, string problem)
    {
        var path = Write("bad.jsonl", content);
        var e = Assert.Throws<DataFormatException>(() => RoutingTableReader.Read(path));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith($"{path}:{line}", e.Message);
    }

    [Fact]
    public void AReusedIdWithADifferentPromptIsKeptUnderANewIdAndReported()
    {
        var path = Write("dup.jsonl", """
            {"id": "a", "split": "train", "prompt": "x", "results": {"big": {"score": 1, "cost_usd": 0}}}
            {"id": "a", "split": "train", "prompt": "x x", "results": {"small": {"score": 0, "cost_usd": 0}}}
            """);
        var t = RoutingTableReader.Read(path);
        Assert.Equal(["a", "a~2"], t.Prompts.Select(p => p.Id));
        Assert.Contains($"{path}:2", Assert.Single(t.Warnings));
    }

    [Fact]
    public void RejectsBadModelCards()
    {
        var path = Write("c.jsonl", "", cards: """[{"name": "x", "input_usd_per_mtok": -1, "output_usd_per_mtok": 1}]""");
        var e = Assert.Throws<DataFormatException>(() => RoutingTableReader.Read(path));
        Assert.Contains("input_usd_per_mtok", e.Message);
    }

    [Fact]
    public void WithoutCardsModelsComeFromResults()
    {
        var path = Write("nocards.jsonl", """{"id": "a", "split": "train", "prompt": "x", "results": {"m1": {"score": 1, "cost_usd": 0.5}}}""", cards: null);
        var t = RoutingTableReader.Read(path);
        Assert.Equal("m1", Assert.Single(t.Models).Name);
    }

    [Fact]
    public void ReadsRouterBenchWideCsvWithMissingCellsAndAStableSplit()
    {
        var csv = "sample_id,prompt,eval_name,big,big|model_response,big|total_cost,small,small|model_response,small|total_cost,oracle_model_to_route_to\n" +
                  "s1,\"Say \"\"hi\"\"\",mmlu,1,hi,0.01,0,\"h,i\",0.0001,big\n" +
                  "s2,two,mmlu,0.5,x,0.02,,,,big\n";
        var path = Write("rb.csv", csv);
        var t = RoutingTableReader.Read(path);
        Assert.Equal(["s1", "s2"], t.Prompts.Select(p => p.Id));
        Assert.Equal("Say \"hi\"", t.Prompts[0].Text);
        Assert.Equal("mmlu", t.Prompts[0].Task);
        Assert.Equal("h,i", t.Response(0, 1));
        Assert.Equal(0.0001, t.Cost(0, 1));
        Assert.False(t.Has(1, 1));
        Assert.Equal(t.Prompts.Select(p => p.Split), RoutingTableReader.Read(path).Prompts.Select(p => p.Split));
    }

    [Fact]
    public void RejectsCsvCellsThatAreNotNumbers()
    {
        var path = Write("rb.csv", "sample_id,prompt,eval_name,big,big|total_cost\ns1,p,e,yes,0.1\n");
        var e = Assert.Throws<DataFormatException>(() => RoutingTableReader.Read(path));
        Assert.Equal(2, e.Line);
        Assert.Equal("big", e.Field);
    }

    [Fact]
    public void BundledRouterBenchHasTheDocumentedShape()
    {
        var t = BundledData.RouterBench;
        Assert.Equal(3178, t.PromptCount);
        Assert.Equal(11, t.ModelCount);
        Assert.Equal(953, t.Where(Split.Test).PromptCount);
        var stats = TableStatistics.Of(t.Where(Split.Test));
        var gpt4 = stats.Models.Single(m => m.Model == "gpt-4-1106-preview");
        Assert.Equal(0.8796, gpt4.MeanScore, 3);
        Assert.Equal(0.9738, stats.Oracle.Quality, 3);
    }

    [Fact]
    public void OraclePicksTheCheapestOfTheBestScores()
    {
        var path = Write("o.jsonl", """
            {"id": "a", "split": "test", "prompt": "x", "results": {"big": {"score": 1, "cost_usd": 0.1}, "small": {"score": 1, "cost_usd": 0.001}}}
            {"id": "b", "split": "test", "prompt": "y", "results": {"big": {"score": 1, "cost_usd": 0.1}, "small": {"score": 0, "cost_usd": 0.001}}}
            """);
        var oracle = OracleResult.Of(RoutingTableReader.Read(path));
        Assert.Equal([1, 0], oracle.Choices);
        Assert.Equal(1.0, oracle.Quality);
        Assert.Equal((0.001 + 0.1) / 2, oracle.CostUsdPerPrompt, 12);
    }
}
