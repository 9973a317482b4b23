using System.CommandLine;
using System.Text.Json;
using Dial.Cli;

namespace Dial.Tests.Evaluation;

public sealed class EvalCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dial-eval-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = new RootCommand { EvalCommand.Create() }.Parse(args)
            .Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (exit, output.ToString(), error.ToString());
    }

    private string WriteTable()
    {
        var path = Path.Combine(_folder, "keyword.jsonl");
        File.WriteAllText(path, SyntheticTables.KeywordJsonLines());
        return path;
    }

    [Fact]
    public void ValidationEvaluatesOnAHeldOutSliceOfTrain()
    {
        // 120 prompts, 96 of them train: a quarter of those (24) is the validation slice; the 24 test prompts stay unused.
        var (exit, stdout, stderr) = Run("eval", "--data", WriteTable(), "--routers", "knn", "--json", "--validation", "0.25");
        Assert.Equal(0, exit);
        Assert.Contains("24 of 96 train prompts held out", stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(72, doc.RootElement.GetProperty("train_prompts").GetInt32());
        Assert.Equal(24, doc.RootElement.GetProperty("test_prompts").GetInt32());
    }

    [Fact]
    public void JsonIsOneDocumentWithTheDocumentedShape()
    {
        var (exit, stdout, stderr) = Run("eval", "--data", WriteTable(), "--routers", "knn,ridge", "--json", "--seed", "3");
        Assert.Equal(0, exit);
        Assert.Contains("featurise:", stderr); // timing goes to stderr, so stdout stays one JSON document
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("generalist", root.GetProperty("best_single").GetProperty("model").GetString());
        Assert.Equal(0.6, root.GetProperty("best_single").GetProperty("quality").GetDouble(), 12);
        Assert.Equal(2.0, root.GetProperty("best_single").GetProperty("cost_per_1k").GetDouble(), 12);
        Assert.Equal(1.0, root.GetProperty("oracle").GetProperty("quality").GetDouble(), 12);
        Assert.True(root.GetProperty("oracle").TryGetProperty("cost_per_1k", out _));
        Assert.Equal(3, root.GetProperty("single_models").GetArrayLength());
        Assert.Equal(3, root.GetProperty("seed").GetInt32());
        Assert.True(root.GetProperty("timing").GetProperty("total_seconds").GetDouble() > 0);

        var routers = root.GetProperty("routers").EnumerateArray().ToArray();
        Assert.Equal(["knn", "ridge"], routers.Select(r => r.GetProperty("name").GetString()));
        foreach (var r in routers)
        {
            foreach (var key in new[] { "auc", "max_quality", "savings_at_best_single_quality", "savings_at_99", "savings_at_98", "apgr" })
                Assert.Equal(JsonValueKind.Number, r.GetProperty(key).ValueKind);
            var points = r.GetProperty("points").EnumerateArray().ToArray();
            Assert.Equal(Dial.Evaluation.CostWeightSweep.DefaultCount, points.Length);
            foreach (var p in points)
            {
                Assert.InRange(p.GetProperty("cost_weight").GetDouble(), 0, 1);
                Assert.InRange(p.GetProperty("quality").GetDouble(), 0, 1);
                Assert.True(p.GetProperty("cost_per_1k").GetDouble() > 0);
                Assert.Equal(2, p.GetProperty("quality_ci").GetArrayLength());
                Assert.Equal(2, p.GetProperty("cost_ci").GetArrayLength());
            }
        }
    }

    [Fact]
    public void OutWritesTheHtmlReportItsChartAndTheJson()
    {
        var report = Path.Combine(_folder, "report");
        var (exit, stdout, _) = Run("eval", "--data", WriteTable(), "--routers", "mf", "--out", report);
        Assert.Equal(0, exit);
        Assert.Contains("best single: generalist", stdout);
        var html = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("<img src=\"pareto.png\"", html);
        Assert.Contains("<td>mf</td>", html);
        var png = File.ReadAllBytes(Path.Combine(report, "pareto.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 10_000, $"chart is only {png.Length} bytes");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "results.json")));
        Assert.Equal("mf", json.RootElement.GetProperty("routers")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void UnknownRouterIsAnErrorListingTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Run("eval", "--data", WriteTable(), "--routers", "knn,nope"));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("knn, ridge, mlp, mf", e.Message);
        Assert.Equal(2, CliErrors.Run(() => Run("eval", "--routers", "nope").Exit));
    }

    [Fact]
    public void MissingDataFileIsAnErrorNamingIt()
    {
        var missing = Path.Combine(_folder, "absent.jsonl");
        var e = Assert.Throws<Dial.Data.DataFormatException>(() => Run("eval", "--data", missing));
        Assert.Contains(missing, e.Message);
    }
}
