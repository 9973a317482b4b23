using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dial.Data;
using Dial.Evaluation;
using Dial.Evaluation.Studies;
using Dial.Learning.Identity;
using Dial.Learning.Policy;
using Dial.Learning.Policy.Onboarded;

namespace Dial.Cli;

/// <summary>
/// <c>dial study leave-models-out</c>: routing models held out of training after onboarding them by quiz.
/// <c>dial study ablations</c>: full Dial against variants without one of its parts.
/// Both train on the train split and report the test split (or, with <c>--validation</c>, a slice of train), so
/// their figures can be reproduced.
/// </summary>
internal static class StudyCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Create() => new("study", "Reproducible studies of the Dial policy") { CreateLeaveModelsOut(), CreateAblations() };

    private sealed record CommonOptions(
        Option<string> Data, Option<string?> Models, Option<int[]> Seeds, Option<int> Epochs, Option<int[]> IrtDimensions,
        Option<int> IrtEpochs, Option<int> CostWeights, Option<int> Bootstrap, Option<bool> Json, Option<double> Validation)
    {
        public static CommonOptions Create() => new(
            new Option<string>("--data") { Description = "Routing table with train and test splits", Required = true },
            new Option<string?>("--models") { Description = "Model cards file (default: NAME.models.json beside the table)" },
            new Option<int[]>("--seeds") { Description = "Seeds of policy training, quizzes and bootstrap (comma-separated)", DefaultValueFactory = _ => [1], CustomParser = r => ParseList(r.Tokens) },
            new Option<int>("--epochs") { Description = "Policy training epochs", DefaultValueFactory = _ => new PolicyOptions().Epochs },
            new Option<int[]>("--irt-dimensions") { Description = "Identity dimensions tried on a validation slice of train (comma-separated)", DefaultValueFactory = _ => [.. IdentityModelSelection.DefaultDimensions], CustomParser = r => ParseList(r.Tokens) },
            new Option<int>("--irt-epochs") { Description = "Most identity-model epochs tried on the validation slice", DefaultValueFactory = _ => new IrtFitOptions().Epochs },
            new Option<int>("--cost-weights") { Description = "Cost weights per sweep", DefaultValueFactory = _ => 100 },
            new Option<int>("--bootstrap") { Description = "Bootstrap resamples per confidence interval", DefaultValueFactory = _ => 200 },
            new Option<bool>("--json") { Description = "Print one JSON document on stdout instead of the table" },
            new Option<double>("--validation") { Description = "Measure on this random fraction of the train split instead of the test split (for choosing settings)", DefaultValueFactory = _ => 0 });

        public IEnumerable<Option> All => [Data, Models, Seeds, Epochs, IrtDimensions, IrtEpochs, CostWeights, Bootstrap, Json, Validation];

        /// <summary>The routing table, or with <c>--validation</c> its train split with a slice of it as the test split.</summary>
        public RoutingTable Table(ParseResult parse)
        {
            var table = RoutingTableReader.Read(parse.GetValue(Data)!, parse.GetValue(Models));
            return parse.GetValue(Validation) is > 0 and var fraction ? ValidationSplit.Of(table, fraction, seed: 0) : table;
        }

        public StudySettings Settings(ParseResult parse)
        {
            var policy = new PolicyOptions { Epochs = parse.GetValue(Epochs), WarmStartEpochs = Math.Min(new PolicyOptions().WarmStartEpochs, parse.GetValue(Epochs)) };
            policy.Validate();
            var irt = new IrtFitOptions(Epochs: parse.GetValue(IrtEpochs));
            irt.Validate();
            return new StudySettings(policy, irt, parse.GetValue(IrtDimensions)!,
                new EvaluationOptions(CostWeights: parse.GetValue(CostWeights), BootstrapSamples: parse.GetValue(Bootstrap)));
        }
    }

    private static Command CreateLeaveModelsOut()
    {
        var common = CommonOptions.Create();
        var holdOut = new Option<string[]?>("--holdout") { Description = "Models to hold out, comma-separated (default: strongest, weakest, cheapest, most expensive on train)", CustomParser = r => ParseNames(r.Tokens) };
        var budgets = new Option<int[]>("--budgets") { Description = "Onboarding quiz sizes (comma-separated)", DefaultValueFactory = _ => [10, 20, 50], CustomParser = r => ParseList(r.Tokens) };
        var quizCopies = new Option<int>("--quiz-identities") { Description = "Quiz identities per model, budget (10, 20, 50) and selector that policy training draws descriptions from (0: only the fitted identity)", DefaultValueFactory = _ => IdentityPolicy.DefaultQuizCopies };
        var selector = new Option<string>("--selector") { Description = $"Adaptive quiz selector compared with random: {string.Join(", ", QuizSelectors.All.Select(s => s.Name))}", DefaultValueFactory = _ => QuizSelectors.Default.Name };
        var command = new Command("leave-models-out", "Hold models out of training, onboard them by quiz, route the test split over every model") { holdOut, budgets, quizCopies, selector };
        foreach (var o in common.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var result = LeaveModelsOutStudy.Run(common.Table(parse), parse.GetValue(holdOut), parse.GetValue(budgets)!, parse.GetValue(common.Seeds)!,
                common.Settings(parse), parse.InvocationConfiguration.Error, parse.GetValue(quizCopies), QuizSelectors.Parse(parse.GetValue(selector)!));
            var o = parse.InvocationConfiguration.Output;
            if (parse.GetValue(common.Json)) o.WriteLine(JsonSerializer.Serialize(result, Json));
            else
            {
                o.WriteLine($"{result.Source}: held out {string.Join(", ", result.HeldOut)}; trained on the other {result.TrainModels} models ({result.QuizCopies} quiz identities per model, budget and selector); seeds {string.Join(",", result.Seeds)}; {result.PolicyEpochs} policy epochs");
                PrintRows(result.Rows, result.BestSingle, o);
                foreach (var a in result.AdaptiveOverRandom)
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"adaptive minus random auc at {a.Budget} prompts, paired by seed: {a.Auc.Mean:+0.0000;-0.0000} [{a.Auc.Low:+0.0000;-0.0000}, {a.Auc.High:+0.0000;-0.0000}], adaptive ahead in {a.Wins} of {a.PerSeed.Count} seeds"));
            }
            return 0;
        });
        return command;
    }

    private static Command CreateAblations()
    {
        var common = CommonOptions.Create();
        var tradeOffs = new Option<int>("--fixed-trade-offs") { Description = "Policies trained at fixed cost weights for the no-preference-conditioning row", DefaultValueFactory = _ => 7 };
        var command = new Command("ablations", "Full Dial against variants without identities, preference conditioning, the per-candidate scorer, or with another encoder") { tradeOffs };
        foreach (var o in common.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var result = AblationStudy.Run(common.Table(parse), parse.GetValue(common.Seeds)!, parse.GetValue(tradeOffs), common.Settings(parse), parse.InvocationConfiguration.Error);
            var o = parse.InvocationConfiguration.Output;
            if (parse.GetValue(common.Json)) o.WriteLine(JsonSerializer.Serialize(result, Json));
            else
            {
                o.WriteLine($"{result.Source}: seeds {string.Join(",", result.Seeds)}; {result.PolicyEpochs} policy epochs; identities dim {result.Irt.Dimension}");
                PrintRows(result.Rows, result.BestSingle, o);
            }
            return 0;
        });
        return command;
    }

    private static void PrintRows(IReadOnlyList<StudyRow> rows, SingleModelResult best, TextWriter o)
    {
        var width = Math.Max(12, rows.Max(r => Label(r).Length));
        o.WriteLine($"{"router".PadRight(width)}  {"auc",6}  {"max_quality",11}  {"savings_at_best",15}  {"savings_at_99",13}  {"savings_at_98",13}");
        foreach (var r in rows)
            o.WriteLine($"{Label(r).PadRight(width)}  {F(r.Auc),6}  {F(r.MaxQuality),11}  {F(r.SavingsAtBestSingleQuality),15}  {F(r.SavingsAt99),13}  {F(r.SavingsAt98),13}");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best single: {best.Model} quality {best.Quality:F4} at ${best.CostPer1k:F4} per 1k prompts"));
        o.WriteLine("figures are means over seeds; savings average the seeds that reach the quality ([n/seeds] when not all do)");
    }

    private static string Label(StudyRow r) => r.Budget is { } b ? $"{r.Router} {b}" : r.Router;

    private static string F(SeededMetric m) =>
        m.Mean is not { } v ? "never"
        : v.ToString("F3", CultureInfo.InvariantCulture) + (m.Reached < m.PerSeed.Count ? $"[{m.Reached}/{m.PerSeed.Count}]" : "");

    private static int[] ParseList(IReadOnlyList<System.CommandLine.Parsing.Token> tokens) =>
        tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"'{v}' is not a whole number"))
            .ToArray();

    private static string[]? ParseNames(IReadOnlyList<System.CommandLine.Parsing.Token> tokens)
    {
        var names = tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        return names.Length == 0 ? null : names;
    }
}
