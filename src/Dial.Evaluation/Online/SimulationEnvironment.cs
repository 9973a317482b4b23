using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Online;

namespace Dial.Evaluation.Online;

/// <summary>
/// Everything a replay shares across learners and seeds, built from the train split only: the prompt encoder,
/// the learners' projected features, the reward scale, and the offline reference. By default the reference is
/// a per-model ridge router fitted with full information on every train cell (what an offline router reaches
/// with the learners' features); any other <see cref="IRouterTrainer"/> can take its place.
/// The stream is the split the learners are replayed on.
/// </summary>
public sealed class SimulationEnvironment
{
    private readonly RoutingTable _stream;
    private readonly double[] _fallbackScore;

    private SimulationEnvironment(RoutingTable stream, Prompt[] prompts, ModelCard[][] candidates, PcaEncoder features,
        RewardScale scale, IRouter reference, double[] fallbackScore, TrainingContext context, Split split)
    {
        Split = split.ToString().ToLowerInvariant();
        _stream = stream;
        Prompts = prompts;
        Candidates = candidates;
        Features = features;
        Scale = scale;
        Reference = reference;
        _fallbackScore = fallbackScore;
        Context = context;
    }

    public PcaEncoder Features { get; }

    public RewardScale Scale { get; }

    /// <summary>The offline reference router; it does not learn during the replay.</summary>
    public IRouter Reference { get; }

    public RoutingTable Train => Context.Train;

    /// <summary>What the reference was trained on (the train split, its encoder and reward scale), for training further routers alike.</summary>
    public TrainingContext Context { get; }

    public IReadOnlyList<ModelCard> Models => _stream.Models;

    /// <summary>The stream's prompts, one <see cref="Prompt"/> each so features are computed once for all learners.</summary>
    public IReadOnlyList<Prompt> Prompts { get; }

    /// <summary>Per stream prompt, the models with a recorded outcome: the only ones that can be offered.</summary>
    public IReadOnlyList<ModelCard[]> Candidates { get; }

    public string Source => _stream.Source;

    /// <summary>The split the stream was drawn from.</summary>
    public string Split { get; }

    public static SimulationEnvironment Build(RoutingTable table, Split split, int components = 16, IRouterTrainer? reference = null)
    {
        var train = table.Where(Data.Split.Train);
        var texts = train.Prompts.Select(p => p.Text).ToArray();
        if (texts.Length == 0) throw new ArgumentException($"{table.Source}: the table has no train prompts to fit features and the reference on");
        var stream = split == Data.Split.Train ? train : table.Where(split);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(texts), RewardScaleCalibration.Calibrate(train));
        var features = OfflineRidgeTrainer.FitFeatures(context, components);
        var scale = context.Scale;
        var referenceRouter = reference?.Train(context) ?? new OfflineRidgeTrainer().Fit(context, features);

        var rows = Enumerable.Range(0, stream.PromptCount).Where(p => CandidatesOf(stream, p).Length > 0).ToArray();
        if (rows.Length == 0) throw new ArgumentException($"{table.Source}: the {split.ToString().ToLowerInvariant()} split has no prompt with a recorded outcome");
        stream = stream.SelectPrompts(rows);
        var fallback = TableStatistics.Of(train).Models.Select(m => double.IsNaN(m.MeanScore) ? 0 : m.MeanScore).ToArray();
        return new SimulationEnvironment(stream, stream.Prompts.Select(p => new Prompt(p.Text)).ToArray(),
            Enumerable.Range(0, stream.PromptCount).Select(p => CandidatesOf(stream, p)).ToArray(), features, scale, referenceRouter, fallback, context, split);
    }

    /// <summary>
    /// The outcome a model gives on a stream prompt. When <paramref name="drift"/> is set, the drifted model
    /// answers like the weak one (the weak model's score on that prompt, or its mean train score where it has
    /// none) at its own cost.
    /// </summary>
    public Outcome Reveal(int prompt, int model, DriftScenario? drift)
    {
        var outcome = _stream.Outcome(prompt, model) ?? throw new ArgumentException($"model '{Models[model].Name}' has no outcome on stream prompt {prompt}");
        if (drift is null || model != drift.Drifted) return outcome;
        var score = _stream.Has(prompt, drift.Weak) ? _stream.Score(prompt, drift.Weak) : _fallbackScore[drift.Weak];
        return outcome with { Score = score };
    }

    public int ModelIndex(string name) => _stream.ModelIndex(name);

    /// <summary>Mean utility of each model over the train split under a preference, for choosing the drift's models.</summary>
    public double[] TrainUtility(Preference preference)
    {
        var result = new double[Train.ModelCount];
        for (var m = 0; m < Train.ModelCount; m++)
        {
            var (sum, n) = (0.0, 0);
            for (var p = 0; p < Train.PromptCount; p++)
            {
                if (!Train.Has(p, m)) continue;
                sum += preference.Utility(Train.Score(p, m), Train.Cost(p, m), 0, Scale);
                n++;
            }
            result[m] = n == 0 ? double.NegativeInfinity : sum / n;
        }
        return result;
    }

    private static ModelCard[] CandidatesOf(RoutingTable table, int prompt) =>
        Enumerable.Range(0, table.ModelCount).Where(m => table.Has(prompt, m)).Select(m => table.Models[m]).ToArray();
}

/// <summary>From request <see cref="Start"/> on, model <see cref="Drifted"/> answers like model <see cref="Weak"/>.</summary>
public sealed record DriftScenario(int Drifted, int Weak, int Start);
