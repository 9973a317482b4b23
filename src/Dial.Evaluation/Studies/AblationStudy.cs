using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Baselines;
using Dial.Learning.Identity;
using Dial.Learning.Online;
using Dial.Learning.Policy;
using Dial.Learning.Policy.Ablations;
using Dial.Learning.Policy.Onboarded;

namespace Dial.Evaluation.Studies;

/// <summary>The ablation table of one data set.</summary>
/// <param name="FixedCostWeights">The cost weights of the "no preference conditioning" policies, one policy each.</param>
public sealed record AblationResult(
    string Source, IReadOnlyList<int> Seeds, int PolicyEpochs, IrtFitOptions Irt, IReadOnlyList<double> FixedCostWeights,
    SingleModelResult BestSingle, IReadOnlyList<StudyRow> Rows);

/// <summary>
/// Full Dial (bandit feedback, IRT identities as model descriptors, one preference-conditioned policy, a
/// permutation-invariant per-candidate scorer, hashed TF-IDF prompt features) against variants that each remove
/// one of those parts. Every variant is trained on the train split and measured on the test split by the harness.
/// </summary>
public static class AblationStudy
{
    public const string Full = "full dial";
    public const string NoIdentities = "no identities (learned embeddings)";
    public const string NoPreference = "no preference conditioning";
    public const string FixedHead = "fixed head (mlp, one logit per model)";
    public const string PcaEncoder = "encoder: PCA-32 of TF-IDF";
    public const string SmallEncoder = "encoder: hashed TF-IDF 128-d";

    private const int PcaComponents = 32;
    private const int SmallEncoderDimension = 128;

    public static AblationResult Run(RoutingTable table, IReadOnlyList<int> seeds, int fixedTradeOffs, StudySettings settings, TextWriter? log = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("the study needs at least one seed");
        var train = table.Where(Split.Train);
        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text), settings.Evaluation.EncoderDimension);
        var (irtOptions, _) = IdentityModelSelection.ChooseIrt(train, encoder, settings.Irt, settings.IrtDimensions);
        var irt = IrtModel.Fit(train, encoder, irtOptions);
        log?.WriteLine($"identities: dim {irtOptions.Dimension}, {irtOptions.Epochs} epochs");
        var weights = FixedTradeOff.Weights(fixedTradeOffs);
        var policy = settings.Policy;

        DialEnsemble WithIdentities(TrainingContext c, PolicyOptions options) => IdentityPolicy.Train(c, irt, Feedback.Bandit, options).Policy;
        // The policy fits its own features unless told to use the context's encoder; the encoder rows must swap what it reads.
        var contextEncoder = policy with { FeatureDimension = null };
        IRouterTrainer[] trainers =
        [
            new DelegateTrainer(Full, c => WithIdentities(c, policy)),
            new DelegateTrainer(NoIdentities, new DialPolicyTrainer(Feedback.Bandit, policy).Train),
            new DelegateTrainer(FixedHead, new MlpRouterTrainer().Train),
            new DelegateTrainer(PcaEncoder, c => WithIdentities(
                c with { Encoder = Learning.Online.PcaEncoder.Fit(c.Encoder, c.Train.Prompts.Select(p => p.Text).ToArray(), PcaComponents, c.Seed) }, contextEncoder)),
            new DelegateTrainer(SmallEncoder, c => WithIdentities(
                c with { Encoder = HashedTfidfEncoder.Fit(c.Train.Prompts.Select(p => p.Text), SmallEncoderDimension) }, contextEncoder)),
        ];
        var names = trainers.Select(t => t.Name).Append(NoPreference).ToArray();

        var metrics = names.Select(_ => new List<CurveMetrics>()).ToArray();
        SingleModelResult? best = null;
        foreach (var seed in seeds)
        {
            var evaluation = settings.Evaluation with { Seed = seed };
            var result = EvaluationHarness.Run(table, trainers, evaluation, log);
            for (var i = 0; i < trainers.Length; i++) metrics[i].Add(result.Routers[i].Metrics);
            metrics[^1].Add(FixedTradeOffCurve(table, encoder, irt, weights, policy, evaluation, result.SingleModels, log));
            best = result.BestSingle;
        }
        var rows = names.Select((n, i) => StudyRow.Of(n, null, metrics[i])).ToArray();
        return new AblationResult(table.Source, seeds, policy.Epochs, irtOptions, weights, best!, rows);
    }

    /// <summary>One policy per fixed cost weight, each routed only at its own weight; the curve is those points.</summary>
    private static CurveMetrics FixedTradeOffCurve(
        RoutingTable table, HashedTfidfEncoder encoder, IrtModel irt, double[] weights, PolicyOptions policy, EvaluationOptions evaluation,
        IReadOnlyList<SingleModelResult> singles, TextWriter? log)
    {
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, encoder, RewardScaleCalibration.Calibrate(train), evaluation.Seed);
        var test = new TestSet(table.Where(Split.Test));
        var bootstrap = new Bootstrap(test.Count, evaluation.BootstrapSamples, evaluation.Seed);
        var points = new CurvePoint[weights.Length];
        Parallel.For(0, weights.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var fixedPolicy = IdentityPolicy.Train(context, irt, Feedback.Bandit, policy with { Preferences = FixedTradeOff.Sampler(weights[i]) }).Policy;
            points[i] = EvaluationHarness.Sweep(fixedPolicy, test, [weights[i]], bootstrap)[0];
        });
        log?.WriteLine($"{NoPreference}: {weights.Length} policies trained");
        return CurveMetrics.Of(points, singles);
    }
}
