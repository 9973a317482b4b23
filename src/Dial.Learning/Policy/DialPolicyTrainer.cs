using Dial.Data;
using Dial.Features;
using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// Trains the Dial policy: "dial" from bandit feedback (each episode reveals only the sampled model's recorded
/// outcome) and "dial-full" from full information (every candidate's outcome), the upper bound that measures
/// what bandit feedback costs. An episode draws a prompt, a random subset of the models that answered it and a
/// preference; the reward is <see cref="Preference.Utility"/> under the context's calibrated
/// <see cref="RewardScale"/>. Training is deterministic given <see cref="TrainingContext.Seed"/>.
/// </summary>
public sealed class DialPolicyTrainer(Feedback feedback, PolicyOptions? options = null) : IRouterTrainer
{
    public const string BanditName = "dial";
    public const string FullName = "dial-full";

    /// <summary>The baseline only has to track the mean reward of a prompt and preference; a small layer does.</summary>
    private const int BaselineHidden = 32;

    private readonly PolicyOptions _options = options ?? PolicyOptions.For(feedback);

    public string Name => feedback == Feedback.Bandit ? BanditName : FullName;

    /// <summary>One policy, or with <see cref="PolicyOptions.EnsembleSize"/> above one the ensemble <see cref="TrainEnsemble"/> gives.</summary>
    public IRouter Train(TrainingContext context)
    {
        _options.Validate();
        return _options.EnsembleSize == 1 ? TrainPolicy(context) : TrainEnsemble(context);
    }

    /// <summary>
    /// <see cref="PolicyOptions.EnsembleSize"/> policies from different seeds, as one router (one member when the
    /// size is 1); the form <see cref="PolicyFile"/> saves, so <c>dial train</c> writes what <c>dial eval</c> measures.
    /// </summary>
    public DialEnsemble TrainEnsemble(TrainingContext context)
    {
        _options.Validate();
        // One encoder for every member, so a prompt is featurised (and cached) once per decision, not once per member.
        var shared = context with { Encoder = PolicyEncoder(context) };
        // Members are independent (each has its own seed and parameters), so they train in parallel and the result is the same in any order.
        var members = new DialPolicy[_options.EnsembleSize];
        Parallel.For(0, members.Length, i => members[i] = TrainPolicy(shared with { Seed = MemberSeed(context.Seed, i) }));
        return new DialEnsemble(Name, members);
    }

    /// <summary>The context's encoder, or one of <see cref="PolicyOptions.FeatureDimension"/> fitted on the training prompts.</summary>
    private IPromptEncoder PolicyEncoder(TrainingContext context) =>
        _options.FeatureDimension is { } dimension && dimension != context.Encoder.Dimension
            ? HashedTfidfEncoder.Fit(context.Train.Prompts.Select(p => p.Text), dimension)
            : context.Encoder;

    /// <summary>Member i's seed; member 0 keeps the context's seed, so it is the policy <see cref="TrainPolicy"/> gives.</summary>
    public static int MemberSeed(int seed, int member) => unchecked(seed + member * 1_000_003);

    public DialPolicy TrainPolicy(TrainingContext context)
    {
        _options.Validate();
        var table = context.Train;
        var scale = context.Scale;
        var models = table.Models;
        var names = models.Select(m => m.Name).ToArray();
        var random = new Random(context.Seed);
        var describer = (_options.Identities, _options.IdentityVariants) switch
        {
            ({ } identities, { } variants) => CandidateDescriber.FromIdentities(identities, names, variants, random),
            ({ } identities, null) => CandidateDescriber.FromIdentities(identities, names),
            _ => CandidateDescriber.Learned(names, _options.EmbeddingDimension, random),
        };
        var encoder = PolicyEncoder(context);
        var network = new PolicyNetwork(encoder.Dimension, describer.Dimension, _options.Hidden, _options.InitialBeta, random, itemPrior: _options.Items is not null, costRank: _options.CostRank);
        var baseline = new RewardBaseline(_options.Hidden, BaselineHidden, random);
        IEnumerable<Parameter> trained = [.. network.Parameters, .. baseline.Parameters];
        if (describer.Trainable) trained = trained.Append(describer.Vectors);
        var adam = new Adam(trained, _options.LearningRate, weightDecay: _options.WeightDecay);

        var prompts = Enumerable.Range(0, table.PromptCount).Where(p => Enumerable.Range(0, models.Count).Any(m => table.Has(p, m))).ToArray();
        if (prompts.Length == 0) throw new ArgumentException($"{table.Source}: the training table has no recorded outcomes to learn from");
        var features = new float[table.PromptCount][];
        var logLength = new float[table.PromptCount];
        var items = new Identity.Item?[table.PromptCount];
        foreach (var p in prompts)
        {
            features[p] = encoder.Encode(table.Prompts[p].Text);
            logLength[p] = DialPolicy.LogLength(table.Prompts[p].Text);
            if (_options.Items is { } itemModel) items[p] = itemModel.ItemOfFeatures(itemModel.Encoder.Encode(table.Prompts[p].Text));
        }
        var latency = models.Select(m => DialPolicy.NormalizedLatency(m, scale)).ToArray();
        var latencyMs = models.Select(m => m.MedianLatencyMs ?? scale.LatencyMs).ToArray();
        var withLatency = models.Any(m => m.MedianLatencyMs is not null);

        var pass = new PolicyPass(network, models.Count);
        var objective = new PolicyObjective(_options, models.Count);
        var subset = new int[models.Count];
        var scores = new float[models.Count];
        var costs = new float[models.Count];
        var rewards = new float[models.Count];
        FitCostHead(network, describer, table, scale, prompts, logLength, random);
        var episodes = 0;
        for (var epoch = 0; epoch < _options.Epochs; epoch++)
        {
            random.Shuffle(prompts);
            var warmStart = epoch < _options.WarmStartEpochs;
            foreach (var p in prompts)
            {
                var count = SampleCandidates(table, p, random, subset);
                var preference = _options.Preferences.Sample(random, withLatency);
                pass.Reset(count, preference);
                for (var k = 0; k < count; k++)
                {
                    describer.Describe(models[subset[k]], pass.Descriptor(k));
                    pass.SetItemLogit(k, items[p]);
                    pass.Latency[k] = latency[subset[k]];
                }
                network.Forward(pass, features[p], logLength[p]);

                // Outcomes are read from the table only for the arms the feedback reveals: with bandit
                // feedback, the uniformly drawn arm of the warm start or the arm the policy sampled.
                void Observe(int k)
                {
                    scores[k] = (float)table.Score(p, subset[k]);
                    costs[k] = (float)scale.NormalizeCost(table.Cost(p, subset[k]));
                    rewards[k] = (float)preference.Utility(scores[k], table.Cost(p, subset[k]), latencyMs[subset[k]], scale);
                }

                if (feedback == Feedback.Full)
                {
                    for (var k = 0; k < count; k++) Observe(k);
                    if (warmStart) objective.WarmStart(network, pass, features[p], scores.AsSpan(0, count), costs.AsSpan(0, count), backward: true);
                    else objective.Full(network, pass, features[p], rewards.AsSpan(0, count), scores.AsSpan(0, count), costs.AsSpan(0, count), backward: true);
                }
                else if (warmStart)
                {
                    var arm = random.Next(count);
                    scores.AsSpan(0, count).Fill(float.NaN);
                    Observe(arm);
                    objective.WarmStart(network, pass, features[p], scores.AsSpan(0, count), costs.AsSpan(0, count), backward: true);
                }
                else
                {
                    var (action, weight) = SampleExploring(pass.Probability.AsSpan(0, count), _options.Exploration, random);
                    Observe(action);
                    var expected = baseline.Fit(pass.Projection, preference, rewards[action]);
                    objective.Bandit(network, pass, features[p], action, weight * (rewards[action] - expected), scores[action], costs[action], backward: true);
                }
                for (var k = 0; k < count; k++) describer.Backward(models[subset[k]].Name, pass.DescriptorGradient(k));
                if (++episodes % _options.BatchSize == 0)
                {
                    adam.LearningRate = LearningRate(episodes, (long)_options.Epochs * prompts.Length);
                    adam.Step(1f / _options.BatchSize);
                }
            }
        }
        if (episodes % _options.BatchSize != 0) adam.Step(1f / (episodes % _options.BatchSize));
        return new DialPolicy(Name, encoder, scale, network, describer.ForRouting(), models, _options.Items);
    }

    /// <summary>
    /// Cosine decay from the base rate to <see cref="PolicyOptions.FinalLearningRateFraction"/> of it: the last
    /// updates are small, so the policy a seed ends on depends less on which episodes came last.
    /// </summary>
    private float LearningRate(long episode, long total)
    {
        var progress = Math.Min(1.0, (double)episode / total);
        var floor = _options.FinalLearningRateFraction;
        return (float)(_options.LearningRate * (floor + (1 - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }

    /// <summary>
    /// Starts the cost head from a closed-form fit on logged costs: per prompt one uniformly drawn model with
    /// bandit feedback (the same logging policy as the warm start), every model with full information.
    /// </summary>
    private void FitCostHead(PolicyNetwork network, CandidateDescriber describer, RoutingTable table, RewardScale scale, int[] prompts, float[] logLength, Random random)
    {
        var inputs = new List<float[]>();
        var targets = new List<float>();
        foreach (var p in prompts)
        {
            var available = Enumerable.Range(0, table.ModelCount).Where(m => table.Has(p, m)).ToArray();
            var observed = feedback == Feedback.Bandit ? [available[random.Next(available.Length)]] : available;
            foreach (var m in observed)
            {
                var input = new float[describer.Dimension + 1];
                describer.Describe(table.Models[m], input.AsSpan(0, describer.Dimension));
                input[^1] = logLength[p];
                inputs.Add(input);
                targets.Add(MathF.Log((float)scale.NormalizeCost(table.Cost(p, m)) + PolicyObjective.CostFloor));
            }
        }
        network.FitCostHead(inputs, targets);
    }

    /// <summary>Keeps each model that answered the prompt with the keep probability, topping up to at least two.</summary>
    private int SampleCandidates(RoutingTable table, int prompt, Random random, int[] subset)
    {
        var count = 0;
        var available = 0;
        for (var m = 0; m < table.ModelCount; m++)
        {
            if (!table.Has(prompt, m)) continue;
            available++;
            if (random.NextDouble() < _options.KeepProbability) subset[count++] = m;
        }
        var minimum = Math.Min(2, available);
        while (count < minimum)
        {
            var m = random.Next(table.ModelCount);
            if (table.Has(prompt, m) && Array.IndexOf(subset, m, 0, count) < 0) subset[count++] = m;
        }
        return count;
    }

    /// <summary>
    /// An arm from μ = (1 − ε)·π + ε·uniform, and π(a)/μ(a), the importance weight that makes the policy-gradient
    /// term's expectation under μ equal to its expectation under π (at most 1/(1 − ε), so it cannot blow up).
    /// </summary>
    internal static (int Arm, float Weight) SampleExploring(ReadOnlySpan<float> probabilities, double exploration, Random random)
    {
        var arm = exploration > 0 && random.NextDouble() < exploration ? random.Next(probabilities.Length) : Sample(probabilities, random);
        var behaviour = (1 - exploration) * probabilities[arm] + exploration / probabilities.Length;
        return (arm, (float)(probabilities[arm] / behaviour));
    }

    private static int Sample(ReadOnlySpan<float> probabilities, Random random)
    {
        var u = random.NextDouble();
        double cumulative = 0;
        for (var k = 0; k < probabilities.Length; k++)
        {
            cumulative += probabilities[k];
            if (u < cumulative) return k;
        }
        return probabilities.Length - 1;
    }
}
