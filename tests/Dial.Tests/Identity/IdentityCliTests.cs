using Dial.Cli;
using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Tests.Identity;

/// <summary>The identity commands end to end on a slice of the bundled AlpacaEval table, with phi-2 left out of the fit and onboarded after.</summary>
public sealed class IdentityCliTests : IDisposable
{
    private const string NewModel = "phi-2";
    private readonly string _dir = Directory.CreateTempSubdirectory("dial-identity-").FullName;
    private readonly string _data = BundledData.PathOf("alpacaeval.jsonl.gz");

    public IdentityCliTests()
    {
        var full = BundledData.AlpacaEval;
        var train = Enumerable.Range(0, full.PromptCount).Where(p => full.Prompts[p].Split == Split.Train).Take(60);
        var test = Enumerable.Range(0, full.PromptCount).Where(p => full.Prompts[p].Split == Split.Test).Take(30);
        var slice = full.SelectPrompts(train.Concat(test)).SelectModels(full.Models.Select(m => m.Name).Where(n => n != NewModel).Take(6));
        var output = new StringWriter();
        IdentityCommand.Fit(slice, _dir, new IrtFitOptions(Hidden: 8, Epochs: 3), [2, 3], output);
        FitOutput = output.ToString();
    }

    private string FitOutput { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Card(string name, string prices = "\"input_usd_per_mtok\":0.1,\"output_usd_per_mtok\":0.2")
    {
        var path = Path.Combine(_dir, $"card-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $"{{\"name\":\"{name}\",\"provider\":\"microsoft\",{prices}}}");
        return path;
    }

    [Fact]
    public void FitReportsBothModelsAndSavesWhatOnboardingNeeds()
    {
        Assert.Contains("IRT dim", FitOutput);
        Assert.Contains("per-model logistic", FitOutput);
        Assert.Equal(2, FitOutput.Split('\n').Count(l => l.StartsWith("validation: dim")));
        Assert.Equal(6, IdentityTable.Load(Path.Combine(_dir, IdentityCommand.IdentitiesFile)).All.Count);
        Assert.Equal(6, ModelCardReader.Read(Path.Combine(_dir, IdentityCommand.CardsFile)).Count);
        Assert.True(File.Exists(Path.Combine(_dir, IdentityCommand.ItemsFile)));
    }

    [Fact]
    public void OnboardAddsTheNewModelsIdentityAndCard()
    {
        var output = new StringWriter();
        Assert.Equal(0, OnboardCommand.Run(_dir, _data, NewModel, Card(NewModel), 10, QuizSelectors.Default, 1, output));
        var table = IdentityTable.Load(Path.Combine(_dir, IdentityCommand.IdentitiesFile));
        Assert.Equal(7, table.All.Count);
        Assert.Equal(10, table[NewModel].Evidence);
        Assert.Equal(table.Dimension, table[NewModel].Dimension);
        Assert.Contains(ModelCardReader.Read(Path.Combine(_dir, IdentityCommand.CardsFile)), c => c.Name == NewModel && c.InputUsdPerMTok == 0.1);
        Assert.Contains("added", output.ToString());
    }

    [Fact]
    public void OnboardRejectsBadCardsUnknownModelsAndBudgets()
    {
        var card = Card(NewModel);
        var o = TextWriter.Null;
        var selector = QuizSelectors.Default;
        Assert.Contains("card is for", Assert.Throws<ArgumentException>(() => OnboardCommand.Run(_dir, _data, "gemma-2b-it", card, 5, selector, 1, o)).Message);
        Assert.Throws<DataFormatException>(() => OnboardCommand.Run(_dir, _data, NewModel, Card(NewModel, "\"input_usd_per_mtok\":-1,\"output_usd_per_mtok\":1"), 5, selector, 1, o));
        Assert.Throws<DataFormatException>(() => OnboardCommand.Run(_dir, _data, NewModel, Card(NewModel, "\"input_usd_per_mtok\":1"), 5, selector, 1, o));
        Assert.Throws<KeyNotFoundException>(() => OnboardCommand.Run(_dir, _data, "no-such-model", Card("no-such-model"), 5, selector, 1, o));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnboardCommand.Run(_dir, _data, NewModel, card, 0, selector, 1, o));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnboardCommand.Run(_dir, _data, NewModel, card, 10_000, selector, 1, o));
        Assert.Throws<FileNotFoundException>(() => OnboardCommand.Run(Path.Combine(_dir, "missing"), _data, NewModel, card, 5, selector, 1, o));
        Assert.Equal(6, IdentityTable.Load(Path.Combine(_dir, IdentityCommand.IdentitiesFile)).All.Count);
    }

    [Fact]
    public void StudyComparesEverySelectorAtEveryBudgetAgainstPriorAndFullData()
    {
        var full = BundledData.AlpacaEval;
        var table = full.SelectModels(full.Models.Select(m => m.Name).Take(8));
        var result = OnboardingStudy.Run(table.Where(Split.Train), table.Where(Split.Test), [3, 6], seeds: 2,
            new IrtFitOptions(Hidden: 8, Epochs: 3), [2], heldOut: ["gpt-3.5-turbo-0301", "claude-2"]);
        Assert.Equal(["gpt-3.5-turbo-0301", "claude-2"], result.HeldOut);
        Assert.Equal(6, result.TrainModels);
        var selectors = QuizSelectors.All.Select(s => s.Name).ToArray();
        Assert.Contains("random", selectors);
        Assert.Equal(["prior", .. selectors, .. selectors, "full"], result.Rows.Select(r => r.Selector));
        Assert.Equal(0, result.Rows[^1].DistanceToFull);
        Assert.True(result.Rows[^1].LogLikelihood > result.Rows[0].LogLikelihood, "the full-data identity should predict better than the prior");
        Assert.All(result.Rows, r => Assert.True(r.LogLikelihood < 0 && double.IsFinite(r.Auc)));
    }

    [Fact]
    public void DefaultHeldOutModelsSpanStrengthAndPriceAndSkipConstantOnes()
    {
        var held = OnboardingStudy.ChooseHeldOut(BundledData.AlpacaEval.Where(Split.Train));
        Assert.Equal(4, held.Distinct().Count());
        Assert.Equal("fusechat-llama-3.1-8b", held[0]);
        // The reference model scores exactly 0.5 everywhere: there is nothing to learn about it from a quiz.
        Assert.DoesNotContain("gpt-4-1106-preview", held);
    }
}
