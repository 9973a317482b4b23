using System.CommandLine;
using System.Text.Json;
using Dial.Cli;
using Dial.Tests.Evaluation;

namespace Dial.Tests.Studies;

public sealed class StudyCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dial-study-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = new RootCommand { EvalCommand.Create(), StudyCommand.Create() }.Parse(args)
            .Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (exit, output.ToString(), error.ToString());
    }

    private string Write(string name, Dial.Data.RoutingTable table)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, SyntheticTables.JsonLines(table));
        return path;
    }

    private (string Train, string Test) TwoTables()
    {
        var table = SyntheticTables.Keyword(100);
        return (Write("train.jsonl", table.SelectModels(["coder", "generalist"])), Write("test.jsonl", table));
    }

    private static readonly string[] Tiny = ["--epochs", "2", "--irt-dimensions", "2", "--irt-epochs", "3", "--cost-weights", "5", "--bootstrap", "10"];

    [Fact]
    public void UnseenModelsWithoutABudgetAreAClearError()
    {
        var (train, test) = TwoTables();
        var error = Assert.Throws<ArgumentException>(() => Run("eval", "--train", train, "--test", test));
        Assert.Contains("scholar", error.Message);
        Assert.Contains("--onboard-budget", error.Message);
    }

    [Fact]
    public void FixedBaselinesCannotRouteUnseenModels()
    {
        var (train, test) = TwoTables();
        var error = Assert.Throws<ArgumentException>(() => Run("eval", "--train", train, "--test", test, "--onboard-budget", "5", "--routers", "knn"));
        Assert.Contains("'knn' cannot route models it was not trained on (scholar)", error.Message);
    }

    [Fact]
    public void OnboardBudgetRoutesTheTestTablesModels()
    {
        var (train, test) = TwoTables();
        var (exit, stdout, err) = Run("eval", "--train", train, "--test", test, "--onboard-budget", "5", "--json");
        Assert.True(exit == 0, err);
        Assert.Contains("onboarding scholar from at most 5 prompts", err);
        using var doc = JsonDocument.Parse(stdout);
        var router = Assert.Single(doc.RootElement.GetProperty("routers").EnumerateArray());
        Assert.Equal("dial-onboard", router.GetProperty("name").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("single_models").GetArrayLength());
    }

    [Fact]
    public void LeaveModelsOutJsonHasOneRowPerVariantAndSeed()
    {
        var data = Write("keyword.jsonl", SyntheticTables.Keyword(100));
        var (exit, stdout, err) = Run(["study", "leave-models-out", "--data", data, "--holdout", "scholar", "--budgets", "2,4", "--seeds", "1,2", "--json", .. Tiny]);
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(["scholar"], root.GetProperty("held_out").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, root.GetProperty("train_models").GetInt32());
        var rows = root.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(["trained-on-everything", "price-only", "all-answers", "stochastic-representative-v-optimal", "random", "stochastic-representative-v-optimal", "random"], rows.Select(r => r.GetProperty("router").GetString()));
        Assert.Equal([null, null, null, 2, 2, 4, 4], rows.Select(r => r.GetProperty("budget").ValueKind == JsonValueKind.Null ? (int?)null : r.GetProperty("budget").GetInt32()));
        foreach (var r in rows)
        {
            var auc = r.GetProperty("auc");
            Assert.Equal(2, auc.GetProperty("per_seed").GetArrayLength());
            Assert.InRange(auc.GetProperty("mean").GetDouble(), 0, 1);
        }
        // The paired comparison is the difference of the adaptive and random rows, seed by seed.
        var advantages = root.GetProperty("adaptive_over_random").EnumerateArray().ToArray();
        Assert.Equal([2, 4], advantages.Select(a => a.GetProperty("budget").GetInt32()));
        for (var i = 0; i < advantages.Length; i++)
        {
            var adaptive = rows[3 + 2 * i].GetProperty("auc").GetProperty("per_seed").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var random = rows[4 + 2 * i].GetProperty("auc").GetProperty("per_seed").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var perSeed = advantages[i].GetProperty("per_seed").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(adaptive.Zip(random, (a, r) => a - r), perSeed, (x, y) => Math.Abs(x - y) < 1e-12);
            var interval = advantages[i].GetProperty("auc");
            Assert.Equal(perSeed.Average(), interval.GetProperty("mean").GetDouble(), 12);
            Assert.True(interval.GetProperty("low").GetDouble() <= interval.GetProperty("mean").GetDouble());
            Assert.Equal(perSeed.Count(d => d > 0), advantages[i].GetProperty("wins").GetInt32());
        }
    }

    [Fact]
    public void LeaveModelsOutRejectsAnUnknownModel()
    {
        var data = Write("keyword.jsonl", SyntheticTables.Keyword(60));
        var error = Assert.Throws<KeyNotFoundException>(() => Run(["study", "leave-models-out", "--data", data, "--holdout", "nobody", .. Tiny]));
        Assert.Contains("nobody", error.Message);
    }

    [Fact]
    public void AblationsJsonListsEveryVariant()
    {
        var data = Write("keyword.jsonl", SyntheticTables.Keyword(100));
        var (exit, stdout, err) = Run(["study", "ablations", "--data", data, "--fixed-trade-offs", "3", "--json", .. Tiny]);
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("fixed_cost_weights").GetArrayLength());
        var rows = root.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("router").GetString()).ToArray();
        Assert.Equal(6, rows.Length);
        Assert.Contains("full dial", rows);
        Assert.Contains("no preference conditioning", rows);
        Assert.Contains("fixed head (mlp, one logit per model)", rows);
    }
}
