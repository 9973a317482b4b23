using System.Numerics;
using System.Numerics.Tensors;

namespace Dial.Learning.Policy;

/// <summary>
/// Several Dial policies trained from different seeds, deciding together: each candidate's predicted quality and
/// cost are the members' means, and the decision is the argmax of the preference's utility of those means. An
/// average of per-candidate predictions keeps every property of one policy (monotone dial, permutation
/// invariance, independence of irrelevant alternatives), while the seeds' disagreements average out. This is
/// what <see cref="DialPolicyTrainer.Train"/> returns, what <see cref="PolicyFile"/> saves and what
/// <c>dial route</c> and the gateway route with. Members share one encoder, reward scale and model cards.
/// </summary>
/// <remarks>
/// The members must not be trained after the ensemble is made, except through <see cref="ApplyStep"/>: it keeps an
/// inference-only copy of their prompt weights (see <see cref="PromptColumns"/>), taken when it is constructed.
/// </remarks>
public sealed class DialEnsemble : IRouter
{
    private readonly Dictionary<string, ModelCard> _cards;

    /// <summary>
    /// Every member's W_x transposed and stacked: feature j's weights for all members are one contiguous run of
    /// members × hidden floats, so a prompt's projection for the whole ensemble adds one vector per non-zero
    /// feature instead of gathering one scattered column entry per hidden unit and member.
    /// </summary>
    private readonly float[] _promptColumns;

    private readonly float[] _promptBias;
    private readonly ThreadLocal<Scratch> _scratch;

    public DialEnsemble(string name, IReadOnlyList<DialPolicy> members)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one policy");
        var first = members[0];
        foreach (var m in members.Skip(1))
        {
            if (!ReferenceEquals(m.Encoder, first.Encoder)) throw new ArgumentException("ensemble members must share one prompt encoder");
            if (m.Scale != first.Scale) throw new ArgumentException("ensemble members must share one reward scale");
            if (!m.Models.SequenceEqual(first.Models)) throw new ArgumentException("ensemble members must know the same model cards, in the same order");
            if (m.Network.Hidden != first.Network.Hidden) throw new ArgumentException("ensemble members must have the same hidden size");
        }
        Name = name;
        Members = members;
        _cards = first.Models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        (_promptColumns, _promptBias) = StackPromptWeights(members);
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(this));
    }

    public string Name { get; }

    public IReadOnlyList<DialPolicy> Members { get; }

    public IPromptEncoder Encoder => Members[0].Encoder;

    public RewardScale Scale => Members[0].Scale;

    /// <summary>The cards of the models the ensemble was trained on.</summary>
    public IReadOnlyList<ModelCard> Models => Members[0].Models;

    private int Features => Members[0].Network.Features;

    private int Hidden => Members[0].Network.Hidden;

    /// <summary>The card the ensemble was trained with, for a model named on the command line.</summary>
    public ModelCard Card(string model) =>
        _cards.TryGetValue(model, out var card)
            ? card
            : throw new KeyNotFoundException($"the policy knows no model '{model}' (it knows {string.Join(", ", Models.Select(m => m.Name))})");

    /// <summary>Every member able to route the given models by their identity vectors (<see cref="DialPolicy.WithModels"/>).</summary>
    public DialEnsemble WithModels(IReadOnlyList<ModelCard> cards, Identity.IdentityTable identities) =>
        new(Name, Members.Select(m => m.WithModels(cards, identities)).ToArray());

    public RoutingDecision Route(RoutingRequest request)
    {
        var candidates = request.Candidates;
        if (candidates.Count == 0) throw new ArgumentException("routing request has no candidates");
        var scratch = _scratch.Value!;
        scratch.Fit(candidates.Count);
        var features = request.Prompt.Features(Encoder);
        if (features.Length != Features) throw new ArgumentException($"prompt features have length {features.Length}, the policy expects {Features}");
        Project(features, scratch.Projection);
        var logLength = DialPolicy.LogLength(request.Prompt.Text);
        var quality = scratch.Quality.AsSpan(0, candidates.Count);
        var cost = scratch.Cost.AsSpan(0, candidates.Count);
        quality.Clear();
        cost.Clear();
        for (var i = 0; i < Members.Count; i++)
        {
            var member = Members[i];
            var pass = scratch.Passes[i];
            pass.Reset(candidates.Count, request.Preference);
            for (var k = 0; k < candidates.Count; k++)
            {
                member.Describer.Describe(candidates[k], pass.Descriptor(k));
                pass.Latency[k] = DialPolicy.NormalizedLatency(candidates[k], Scale);
            }
            scratch.Projection.AsSpan(i * Hidden, Hidden).CopyTo(pass.Projection);
            pass.LogLength = logLength;
            member.Network.ScoreCandidates(pass);
            for (var k = 0; k < candidates.Count; k++)
            {
                quality[k] += pass.Quality[k];
                cost[k] += pass.Cost[k];
            }
        }
        var p = request.Preference.Normalized();
        double betaSum = 0;
        foreach (var m in Members) betaSum += m.Network.Beta;
        var beta = (float)(betaSum / Members.Count);
        var utility = scratch.Utility.AsSpan(0, candidates.Count);
        var logits = scratch.Logits.AsSpan(0, candidates.Count);
        for (var k = 0; k < utility.Length; k++)
        {
            quality[k] /= Members.Count;
            cost[k] /= Members.Count;
            utility[k] = p.Quality * quality[k] - p.Cost * cost[k] - p.Latency * DialPolicy.NormalizedLatency(candidates[k], Scale);
            logits[k] = (float)(beta * utility[k]);
        }
        // Probabilities as one policy would log them, with the members' mean inverse temperature.
        var probability = scratch.Probability.AsSpan(0, candidates.Count);
        Neural.Activation.Softmax(logits, probability);
        var scores = new CandidateScore[candidates.Count];
        for (var k = 0; k < scores.Length; k++)
            scores[k] = new CandidateScore(candidates[k].Name, utility[k], quality[k], cost[k] * Scale.CostUsd, probability[k]);
        return RoutingDecision.ArgMax(Name, scores);
    }

    /// <summary>
    /// Adds <paramref name="step"/> to member <paramref name="member"/>'s parameters and to the ensemble's stacked copy
    /// of them, so the two stay equal (online fine-tuning). The caller makes sure no decision reads the ensemble
    /// meanwhile; this costs the step's few W_x columns plus the small dense parameters, not a copy of the network.
    /// </summary>
    public void ApplyStep(int member, PolicyStep step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(member);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(member, Members.Count);
        var network = Members[member].Network;
        if (step.Hidden != Hidden) throw new ArgumentException($"step has hidden size {step.Hidden}, the ensemble {Hidden}", nameof(step));
        var (hidden, width) = (Hidden, Members.Count * Hidden);
        var columns = step.PromptColumns;
        // Row by row: the member's W_x is row-major, so each row's few changed entries are visited in ascending order.
        for (var i = 0; i < hidden; i++)
        {
            var row = network.Prompt.Weight.Row(i);
            for (var n = 0; n < step.Count; n++) row[step.Features[n]] += columns[n * hidden + i];
        }
        for (var n = 0; n < step.Count; n++)
            TensorPrimitives.Add(_promptColumns.AsSpan(step.Features[n] * width + member * hidden, hidden), step.Column(n), _promptColumns.AsSpan(step.Features[n] * width + member * hidden, hidden));
        var parameters = network.Parameters;
        for (var p = 1; p < parameters.Count; p++)
        {
            var value = parameters[p].Value;
            var delta = step.Dense[p - 1];
            for (var i = 0; i < value.Length; i++) value[i] += delta[i];
        }
        network.Prompt.Bias.Value.AsSpan(0, Hidden).CopyTo(_promptBias.AsSpan(member * Hidden, Hidden));
    }

    /// <summary>
    /// Every member's W_x x + b over the non-zero features (member after member, hidden values each), in the order
    /// a single policy adds them (bias first, then features by index), so each member's projection is bit-for-bit
    /// the one it computes alone.
    /// </summary>
    public void Project(ReadOnlySpan<float> features, Span<float> projection)
    {
        if (features.Length != Features || projection.Length != Members.Count * Hidden)
            throw new ArgumentException($"projection of {features.Length} features into {projection.Length} values; the ensemble takes {Features} into {Members.Count * Hidden}");
        _promptBias.CopyTo(projection);
        var width = projection.Length;
        for (var j = 0; j < features.Length; j++)
        {
            var x = features[j];
            if (x == 0) continue;
            var column = _promptColumns.AsSpan(j * width, width);
            var i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vx = new Vector<float>(x);
                for (; i <= width - Vector<float>.Count; i += Vector<float>.Count)
                {
                    // Multiply then add, never fused: the rounding must match the single policy's scalar loop.
                    var product = new Vector<float>(column[i..]) * vx;
                    (new Vector<float>(projection[i..]) + product).CopyTo(projection[i..]);
                }
            }
            for (; i < width; i++) projection[i] += column[i] * x;
        }
    }

    private static (float[] Columns, float[] Bias) StackPromptWeights(IReadOnlyList<DialPolicy> members)
    {
        var features = members[0].Network.Features;
        var hidden = members[0].Network.Hidden;
        var width = members.Count * hidden;
        var columns = new float[features * width];
        var bias = new float[width];
        for (var m = 0; m < members.Count; m++)
        {
            var prompt = members[m].Network.Prompt;
            prompt.Bias.Value.AsSpan(0, hidden).CopyTo(bias.AsSpan(m * hidden, hidden));
            for (var i = 0; i < hidden; i++)
            {
                var row = prompt.Weight.Row(i);
                for (var j = 0; j < features; j++) columns[j * width + m * hidden + i] = row[j];
            }
        }
        return (columns, bias);
    }

    /// <summary>One thread's buffers for a decision, grown to the largest candidate set seen, so routing allocates only its result.</summary>
    private sealed class Scratch(DialEnsemble ensemble)
    {
        public float[] Projection { get; } = new float[ensemble.Members.Count * ensemble.Hidden];

        public PolicyPass[] Passes { get; private set; } = [];

        public double[] Quality { get; private set; } = [];

        public double[] Cost { get; private set; } = [];

        public double[] Utility { get; private set; } = [];

        public float[] Logits { get; private set; } = [];

        public float[] Probability { get; private set; } = [];

        public void Fit(int candidates)
        {
            if (Passes.Length > 0 && Passes[0].MaxCandidates >= candidates) return;
            Passes = ensemble.Members.Select(m => new PolicyPass(m.Network, candidates)).ToArray();
            Quality = new double[candidates];
            Cost = new double[candidates];
            Utility = new double[candidates];
            Logits = new float[candidates];
            Probability = new float[candidates];
        }
    }
}
