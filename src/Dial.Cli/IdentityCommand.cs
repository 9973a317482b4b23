using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dial.Data;
using Dial.Features;
using Dial.Learning.Identity;

namespace Dial.Cli;

/// <summary>
/// <c>dial identity fit</c>: fits the identity model on a table's train split, reports its held-out fit on the
/// test split against a per-model logistic baseline, and saves identities and prompt side for onboarding.
/// <c>dial identity study</c>: leave-models-out onboarding study (adaptive vs random quizzes).
/// </summary>
internal static class IdentityCommand
{
    public const string IdentitiesFile = "identities.json";
    public const string ItemsFile = "items.bin";
    public const string CardsFile = "models.json";

    public static Command Create() => new("identity", "Identity vectors of models (multidimensional item-response model)") { CreateFit(), CreateStudy() };

    private static Command CreateFit()
    {
        var data = new Option<string>("--data") { Description = "Routing table (.jsonl, .jsonl.gz or RouterBench .csv) with train and test splits", Required = true };
        var output = new Option<string>("--out") { Description = "Directory for identities.json, items.bin and models.json", Required = true };
        var dim = new Option<int?>("--dim") { Description = "Identity dimension (default: chosen from 2, 4, 8, 16 on a validation slice of train)" };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs tried; the best number is chosen on the validation slice", DefaultValueFactory = _ => new IrtFitOptions().Epochs };
        var fit = new Command("fit", "Fit identities on train, report held-out fit on test against a per-model logistic baseline") { data, output, dim, seed, epochs };
        fit.SetAction(parse =>
        {
            var table = RoutingTableReader.Read(parse.GetValue(data)!);
            var options = new IrtFitOptions(Epochs: parse.GetValue(epochs), Seed: parse.GetValue(seed));
            var dimension = parse.GetValue(dim);
            if (dimension is { } d) options = options with { Dimension = d };
            options.Validate();
            Fit(table, parse.GetValue(output)!, options, dimension is null ? IdentityModelSelection.DefaultDimensions : [dimension.Value], parse.InvocationConfiguration.Output);
            return 0;
        });
        return fit;
    }

    private static Command CreateStudy()
    {
        var data = new Option<string>("--data") { Description = "Routing table with train and test splits", Required = true };
        var holdOut = new Option<string[]>("--hold-out") { Description = "Models to hold out (default: strongest, weakest, cheapest, most expensive on train)", AllowMultipleArgumentsPerToken = true };
        var budgets = new Option<int[]>("--budgets") { Description = "Quiz sizes", DefaultValueFactory = _ => [10, 20, 50], AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per selector and budget", DefaultValueFactory = _ => 5 };
        var dim = new Option<int?>("--dim") { Description = "Identity dimension (default: chosen from 2, 4, 8, 16 on a validation slice of train)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the identity model fit", DefaultValueFactory = _ => 1 };
        var validation = new Option<bool>("--validation") { Description = "Score on a 20% validation slice of train instead of test (for choosing onboarding settings)" };
        var study = new Command("study", "Leave-models-out onboarding study: adaptive vs random quizzes, scored on the test split") { data, holdOut, budgets, seeds, dim, seed, validation };
        study.SetAction(parse =>
        {
            var table = RoutingTableReader.Read(parse.GetValue(data)!);
            var options = new IrtFitOptions(Seed: parse.GetValue(seed));
            var dimension = parse.GetValue(dim);
            if (dimension is { } d) options = options with { Dimension = d };
            options.Validate();
            var held = parse.GetValue(holdOut);
            var clock = Stopwatch.StartNew();
            var (train, test) = parse.GetValue(validation)
                ? IdentityModelSelection.SplitValidation(table.Where(Split.Train), 0.2, options.Seed)
                : (table.Where(Split.Train), table.Where(Split.Test));
            Console.Out.WriteLine($"scored on {(parse.GetValue(validation) ? "a validation slice of train" : "the test split")} ({test.PromptCount} prompts)");
            var result = OnboardingStudy.Run(train, test, parse.GetValue(budgets)!, parse.GetValue(seeds), options,
                dimension is null ? IdentityModelSelection.DefaultDimensions : [dimension.Value], held is { Length: > 0 } ? held : null);
            PrintStudy(table.Source, result, parse.GetValue(seeds), Console.Out);
            Console.Out.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return study;
    }

    internal static void PrintStudy(string source, OnboardingStudyResult result, int seeds, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"{source}: held out {string.Join(", ", result.HeldOut)}");
        o.WriteLine($"identity model fitted on the other {result.TrainModels} models (train split), dim {result.Irt.Dimension}, {result.Irt.Epochs} epochs; quizzes from train; {seeds} seeds");
        o.WriteLine($"{"selector",-9}  {"budget",6}  {"log-lik/cell",12}  {"(sd)",6}  {"AUC",6}  {"per-model AUC",13}  {"|mu-mu_full|",12}  {"ms/model",8}");
        foreach (var r in result.Rows)
            o.WriteLine(string.Create(ci, $"{r.Selector,-9}  {r.Budget,6}  {r.LogLikelihood,12:F4}  {r.LogLikelihoodSd,6:F4}  {r.Auc,6:F4}  {r.MacroAuc,13:F4}  {r.DistanceToFull,12:F3}  {r.MillisecondsPerModel,8:F1}"));
    }

    internal static void Fit(RoutingTable table, string outputDirectory, IrtFitOptions options, IReadOnlyList<int> dimensions, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        var train = table.Where(Split.Train);
        var test = table.Where(Split.Test);
        if (train.PromptCount == 0 || test.PromptCount == 0)
            throw new ArgumentException($"{table.Source}: needs both train and test prompts (has {train.PromptCount} train, {test.PromptCount} test)");
        var clock = Stopwatch.StartNew();
        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text));
        var (irtOptions, candidates) = IdentityModelSelection.ChooseIrt(train, encoder, options, dimensions);
        foreach (var c in candidates)
            o.WriteLine(string.Create(ci, $"validation: dim {c.Dimension,2}  best epoch {c.Epochs,3}  log-lik/cell {c.LogLikelihood:F4}"));
        var irt = IrtModel.Fit(train, encoder, irtOptions);
        var irtSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var baselineOptions = IdentityModelSelection.ChooseBaseline(train, encoder, options);
        var baseline = LogisticBaseline.Fit(train, encoder, baselineOptions);
        var baselineSeconds = clock.Elapsed.TotalSeconds;

        var irtMetrics = CorrectnessMetrics.Evaluate(test, p =>
        {
            var item = irt.Items.ItemOfFeatures(encoder.Encode(test.Prompts[p].Text));
            return test.Models.Select(m => item.Probability(irt.Identities[m.Name])).ToArray();
        });
        var baselineMetrics = CorrectnessMetrics.Evaluate(test, p => baseline.Probabilities(test.Prompts[p].Text));
        o.WriteLine($"held-out fit on {table.Source} test split ({irtMetrics.Cells} cells, {test.PromptCount} prompts, {test.ModelCount} models):");
        o.WriteLine($"{"model",-34}  {"log-lik/cell",12}  {"AUC",6}  {"per-model AUC",13}  {"fit s",6}");
        Row($"IRT dim {irtOptions.Dimension}, {irtOptions.Epochs} epochs", irtMetrics, irtSeconds);
        Row(string.Create(CultureInfo.InvariantCulture, $"per-model logistic, lr {baselineOptions.LearningRate:G2}, {baselineOptions.Epochs} ep"), baselineMetrics, baselineSeconds);

        Directory.CreateDirectory(outputDirectory);
        irt.Identities.Save(Path.Combine(outputDirectory, IdentitiesFile));
        irt.Items.Save(Path.Combine(outputDirectory, ItemsFile));
        ModelCardReader.Write(Path.Combine(outputDirectory, CardsFile), table.Models);
        o.WriteLine(string.Create(ci, $"population prior for new models: {irt.Items.Population.Dimension} directions, widened {irt.Items.Population.Spread:F2}x by leaving each known model out"));
        o.WriteLine($"saved {irt.Identities.All.Count} identities and the prompt side to {outputDirectory}");

        void Row(string name, CorrectnessMetrics m, double seconds) =>
            o.WriteLine(string.Create(ci, $"{name,-34}  {m.LogLikelihood,12:F4}  {m.Auc,6:F4}  {m.MacroAuc,13:F4}  {seconds,6:F1}"));
    }
}
