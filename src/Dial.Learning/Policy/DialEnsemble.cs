using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// inference-only copy of their prompt weights (see <see cref="_promptColumns"/>) and each card's candidate terms,
/// both derived from the members' parameters.
/// </remarks>
public sealed class DialEnsemble : IPredictThenOptimiseRouter
{
    private readonly Dictionary<string, ModelCard> _cards;

    /// <summary>
    /// Every member's W_x transposed and stacked: feature j's weights for all members are one contiguous run of
    /// members × hidden floats, so a prompt's projection for the whole ensemble adds one vector per non-zero
    /// feature instead of gathering one scattered column entry per hidden unit and member.
    /// </summary>
    private readonly float[] _promptColumns;

    private readonly float[] _promptBias;

    /// <summary>
    /// Every member's cost-term projection U stacked the same way, each feature's run padded with zeros to a whole
    /// number of 16-float blocks (3 members × rank 4 = 12 floats become 16), so it is walked in registers too.
    /// </summary>
    private readonly float[] _costColumns;

    private readonly float[] _costBias;
    private float _beta;
    private readonly ThreadLocal<Scratch> _scratch;

    /// <summary>
    /// Each card's descriptors and W_d d per member, computed on first sight of the card object: cards are
    /// immutable, so a changed card is a new object and gets new terms, and the old ones go with the old card.
    /// </summary>
    private readonly ConditionalWeakTable<ModelCard, CandidateTerms> _candidateTerms = new();
    private readonly ConditionalWeakTable<ModelCard, CandidateTerms>.CreateValueCallback _describe;


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
            if (!ReferenceEquals(m.Items, first.Items)) throw new ArgumentException("ensemble members must share one item model, or all have none");
            if (m.Network.CostRank != first.Network.CostRank) throw new ArgumentException("ensemble members must have the same cost-term rank");
        }
        Name = name;
        Members = members;
        _cards = first.Models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        (_promptColumns, _promptBias) = Stack(members.Select(m => m.Network.Prompt).ToArray(), members.Count * Hidden);
        (_costColumns, _costBias) = CostRank == 0 ? ([], []) : Stack(members.Select(m => m.Network.CostPrompt!).ToArray(), CostWidth);
        _beta = MeanBeta(members);
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(this));
        _describe = Describe;
    }

    public string Name { get; }

    public IReadOnlyList<DialPolicy> Members { get; }

    public IPromptEncoder Encoder => Members[0].Encoder;

    public RewardScale Scale => Members[0].Scale;

    /// <summary>The members' shared item model (<see cref="DialPolicy.Items"/>), or null.</summary>
    public Identity.PromptItemModel? Items => Members[0].Items;

    /// <summary>The cards of the models the ensemble was trained on.</summary>
    public IReadOnlyList<ModelCard> Models => Members[0].Models;

    private int Features => Members[0].Network.Features;

    private int Hidden => Members[0].Network.Hidden;

    private int CostRank => Members[0].Network.CostRank;

    /// <summary>The stacked cost projection's width: members × rank, padded to a multiple of 16.</summary>
    private int CostWidth => (Members.Count * CostRank + 15) / 16 * 16;

    /// <summary>The card the ensemble was trained with, for a model named on the command line.</summary>
    public ModelCard Card(string model) =>
        _cards.TryGetValue(model, out var card)
            ? card
            : throw new KeyNotFoundException($"the policy knows no model '{model}' (it knows {string.Join(", ", Models.Select(m => m.Name))})");

    /// <summary>Every member able to route the given models by their identity vectors (<see cref="DialPolicy.WithModels"/>).</summary>
    public DialEnsemble WithModels(IReadOnlyList<ModelCard> cards, Identity.IdentityTable identities) =>
        new(Name, Members.Select(m => m.WithModels(cards, identities)).ToArray());

    public RoutingDecision Route(RoutingRequest request) => Decide(request, Predict(request.Prompt, request.Candidates));

    /// <summary>
    /// Each candidate's q̂ and ĉ (reward-scale units), the members' means, computed afresh: what one routing
    /// decision costs on a prompt never seen before.
    /// </summary>
    public CandidatePredictions Predict(Prompt prompt, IReadOnlyList<ModelCard> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("routing request has no candidates");
        var scratch = _scratch.Value!;
        var features = FeaturesOf(prompt, Encoder, scratch.Features);
        if (features.Length != Features) throw new ArgumentException($"prompt features have length {features.Length}, the policy expects {Features}");
        var (indices, values) = Gather(features, scratch);
        ProjectStacked(_promptColumns, _promptBias, indices, values, scratch.Projection);
        if (CostRank > 0) ProjectStacked(_costColumns, _costBias, indices, values, scratch.CostProjection);
        var item = Items is { } items ? items.ItemOfFeatures(FeaturesOf(prompt, items.Encoder, scratch.ItemFeatures!)) : null;
        var predictions = new CandidatePredictions(candidates);
        var costInput = scratch.CostInput;
        costInput[^1] = DialPolicy.LogLength(prompt.Text);
        for (var k = 0; k < candidates.Count; k++)
        {
            var terms = _candidateTerms.GetValue(candidates[k], _describe);
            double quality = 0, cost = 0;
            for (var i = 0; i < Members.Count; i++)
            {
                var network = Members[i].Network;
                var logit = network.QualityLogit(scratch.Projection.AsSpan(i * Hidden, Hidden), terms.Term(i), scratch.Hidden);
                if (item is not null) logit += network.ItemTerm(PolicyPass.ItemLogitOf(item, terms.Descriptor(i)));
                quality += (float)Neural.Activation.Sigmoid(logit);
                terms.Descriptor(i).CopyTo(costInput);
                cost += MathF.Exp(network.LogCost(costInput, terms.Mix(i), scratch.CostProjection.AsSpan(i * CostRank, CostRank)));
            }
            predictions.Quality[k] = quality / Members.Count;
            predictions.Cost[k] = cost / Members.Count;
        }
        return predictions;
    }

    /// <summary>
    /// The features the prompt already carries for <paramref name="encoder"/>, else its encoding into
    /// <paramref name="buffer"/>. A prompt nobody encoded yet (each request the gateway routes) is not cached on: a
    /// serving process routes it once, and its vector would be garbage per request.
    /// </summary>
    private static float[] FeaturesOf(Prompt prompt, IPromptEncoder encoder, float[] buffer)
    {
        if (prompt.EncodedFeatures(encoder) is { } features) return features;
        encoder.Encode(prompt.Text, buffer);
        return buffer;
    }

    public RoutingDecision Decide(RoutingRequest request, CandidatePredictions predictions)
    {
        var candidates = request.Candidates;
        if (!predictions.AreFor(candidates)) throw new ArgumentException("the predictions were made for other candidates than the request's");
        var p = request.Preference.Normalized();
        var utility = new double[candidates.Count];
        Span<float> logits = candidates.Count <= 64 ? stackalloc float[candidates.Count] : new float[candidates.Count];
        Span<float> probability = candidates.Count <= 64 ? stackalloc float[candidates.Count] : new float[candidates.Count];
        for (var k = 0; k < utility.Length; k++)
        {
            utility[k] = p.Quality * predictions.Quality[k] - p.Cost * predictions.Cost[k] - p.Latency * DialPolicy.NormalizedLatency(candidates[k], Scale);
            logits[k] = (float)(_beta * utility[k]);
        }
        // Probabilities as one policy would log them, with the members' mean inverse temperature.
        Neural.Activation.Softmax(logits, probability);
        var scores = new CandidateScore[candidates.Count];
        for (var k = 0; k < scores.Length; k++)
            scores[k] = new CandidateScore(candidates[k].Name, utility[k], predictions.Quality[k], predictions.Cost[k] * Scale.CostUsd, probability[k]);
        return RoutingDecision.ArgMax(Name, scores);
    }

    /// <summary>
    /// Adds <paramref name="step"/> to member <paramref name="member"/>'s parameters and to the ensemble's stacked copy
    /// of them, so the two stay equal (online fine-tuning), and drops the card terms made with the old parameters. The caller makes sure no decision reads the ensemble meanwhile; this costs the step's few W_x
    /// columns plus the small dense parameters, not a copy of the network.
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
        var parameters = network.DenseStepParameters;
        for (var p = 0; p < parameters.Count; p++)
        {
            var value = parameters[p].Value;
            var delta = step.Dense[p];
            for (var i = 0; i < value.Length; i++) value[i] += delta[i];
        }
        network.Prompt.Bias.Value.AsSpan(0, Hidden).CopyTo(_promptBias.AsSpan(member * Hidden, Hidden));
        // U is not in a step (it stays as trained online); its bias u₀ is.
        if (CostRank > 0) network.CostPrompt!.Bias.Value.AsSpan(0, CostRank).CopyTo(_costBias.AsSpan(member * CostRank, CostRank));
        _beta = MeanBeta(Members);
        _candidateTerms.Clear();
    }

    private static float MeanBeta(IReadOnlyList<DialPolicy> members) => (float)(members.Sum(m => (double)m.Network.Beta) / members.Count);

    /// <summary>
    /// Every member's W_x x + b over the non-zero features, in the order a single policy adds them (bias first,
    /// then features by index), so each member's projection is bit-for-bit the one it computes alone. The
    /// stacked width is walked in blocks of 64 (then 32) floats held in registers across all the
    /// features, so the projection is only read and written once per block, not once per feature.
    /// </summary>
    public void Project(ReadOnlySpan<float> features, Span<float> projection)
    {
        if (features.Length != Features || projection.Length != Members.Count * Hidden)
            throw new ArgumentException($"projection of {features.Length} features into {projection.Length} values; the ensemble takes {Features} into {Members.Count * Hidden}");
        var (indices, values) = Gather(features, _scratch.Value!);
        ProjectStacked(_promptColumns, _promptBias, indices, values, projection);
    }

    /// <summary>The non-zero features' indices and values, in ascending order.</summary>
    private static (ReadOnlyMemory<int> Indices, ReadOnlyMemory<float> Values) Gather(ReadOnlySpan<float> features, Scratch scratch)
    {
        // Branch-free gathering of the non-zero features: a third or more of them are non-zero, in no
        // predictable pattern, so a branch per feature would mispredict often.
        var count = 0;
        for (var j = 0; j < features.Length; j++)
        {
            scratch.Index[count] = j;
            scratch.Value[count] = features[j];
            count += features[j] != 0 ? 1 : 0;
        }
        return (scratch.Index.AsMemory(0, count), scratch.Value.AsMemory(0, count));
    }

    /// <summary>bias + Σ column(j) x_j over the gathered features, for one stacked copy of the members' weights.</summary>
    private static void ProjectStacked(float[] stacked, float[] bias, ReadOnlyMemory<int> gatheredIndices, ReadOnlyMemory<float> gatheredValues, Span<float> projection)
    {
        var indices = gatheredIndices.Span;
        var values = gatheredValues.Span;
        bias.CopyTo(projection);
        var width = projection.Length;
        var start = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; start + WideBlock.Floats <= width; start += WideBlock.Floats) ProjectBlock<WideBlock>(stacked, indices, values, start, projection);
            if (start + NarrowBlock.Floats <= width)
            {
                ProjectBlock<NarrowBlock>(stacked, indices, values, start, projection);
                start += NarrowBlock.Floats;
            }
            if (start + SmallBlock.Floats <= width)
            {
                ProjectBlock<SmallBlock>(stacked, indices, values, start, projection);
                start += SmallBlock.Floats;
            }
        }
        for (var n = 0; n < indices.Length; n++)
        {
            var column = stacked.AsSpan(indices[n] * width, width);
            var x = values[n];
            for (var i = start; i < width; i++) projection[i] += column[i] * x;
        }
    }

    /// <summary>
    /// How many floats one walk over the features accumulates in registers: eight 256-bit accumulators keep the
    /// adds' latency hidden, and a stacked width that is not a multiple of 64 (3 members × 32 hidden = 96) ends with
    /// a block of four, which beats both padding the copy to 128 (a third more memory read per feature) and walking
    /// the features three times in blocks of four. The cost term's narrow copy (16 floats) is a block of two.
    /// </summary>
    private interface IBlock
    {
        static abstract int Floats { get; }
    }

    private readonly struct WideBlock : IBlock
    {
        public static int Floats => 64;
    }

    private readonly struct NarrowBlock : IBlock
    {
        public static int Floats => 32;
    }

    private readonly struct SmallBlock : IBlock
    {
        public static int Floats => 16;
    }

    private static void ProjectBlock<TBlock>(float[] stacked, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int start, Span<float> projection) where TBlock : struct, IBlock
    {
        // The JIT compiles one body per block type, in which these tests are constants and the unused code is gone.
        var wide = TBlock.Floats == WideBlock.Floats;
        var small = TBlock.Floats == SmallBlock.Floats;
        var width = projection.Length;
        ref var output = ref MemoryMarshal.GetReference(projection[start..]);
        var (a0, a1) = (Vector256.LoadUnsafe(ref output, 0), Vector256.LoadUnsafe(ref output, 8));
        var (a2, a3) = small ? default : (Vector256.LoadUnsafe(ref output, 16), Vector256.LoadUnsafe(ref output, 24));
        var (a4, a5, a6, a7) = wide
            ? (Vector256.LoadUnsafe(ref output, 32), Vector256.LoadUnsafe(ref output, 40), Vector256.LoadUnsafe(ref output, 48), Vector256.LoadUnsafe(ref output, 56))
            : default;
        ref var columns = ref MemoryMarshal.GetArrayDataReference(stacked);
        for (var n = 0; n < indices.Length; n++)
        {
            ref var column = ref Unsafe.Add(ref columns, (nint)indices[n] * width + start);
            var x = Vector256.Create(values[n]);
            // Multiply then add, never fused: the rounding must match the single policy's scalar loop.
            a0 += Vector256.LoadUnsafe(ref column, 0) * x;
            a1 += Vector256.LoadUnsafe(ref column, 8) * x;
            if (small) continue;
            a2 += Vector256.LoadUnsafe(ref column, 16) * x;
            a3 += Vector256.LoadUnsafe(ref column, 24) * x;
            if (!wide) continue;
            a4 += Vector256.LoadUnsafe(ref column, 32) * x;
            a5 += Vector256.LoadUnsafe(ref column, 40) * x;
            a6 += Vector256.LoadUnsafe(ref column, 48) * x;
            a7 += Vector256.LoadUnsafe(ref column, 56) * x;
        }
        a0.StoreUnsafe(ref output, 0);
        a1.StoreUnsafe(ref output, 8);
        if (small) return;
        a2.StoreUnsafe(ref output, 16);
        a3.StoreUnsafe(ref output, 24);
        if (!wide) return;
        a4.StoreUnsafe(ref output, 32);
        a5.StoreUnsafe(ref output, 40);
        a6.StoreUnsafe(ref output, 48);
        a7.StoreUnsafe(ref output, 56);
    }

    /// <summary>Each member's descriptor of a card, its term W_d d and its cost mix S d + s₀, which do not depend on the prompt.</summary>
    private CandidateTerms Describe(ModelCard card)
    {
        var descriptor = Members[0].Network.Descriptor;
        var terms = new CandidateTerms(Members.Count, descriptor, Hidden, CostRank);
        for (var i = 0; i < Members.Count; i++)
        {
            Members[i].Describer.Describe(card, terms.Descriptor(i));
            Members[i].Network.CandidateTerm(terms.Descriptor(i), terms.Term(i));
            Members[i].Network.CostMixOf(terms.Descriptor(i), terms.Mix(i));
        }
        return terms;
    }

    /// <summary>Per member: the card's descriptor d, W_d d and S d + s₀.</summary>
    private sealed class CandidateTerms(int members, int descriptor, int hidden, int costRank)
    {
        private readonly float[] _descriptors = new float[members * descriptor];
        private readonly float[] _terms = new float[members * hidden];
        private readonly float[] _mixes = new float[members * costRank];

        public Span<float> Descriptor(int member) => _descriptors.AsSpan(member * descriptor, descriptor);

        public Span<float> Term(int member) => _terms.AsSpan(member * hidden, hidden);

        public Span<float> Mix(int member) => _mixes.AsSpan(member * costRank, costRank);
    }

    /// <summary>The members' layers (one each, of equal shape) transposed and stacked into runs of <paramref name="width"/> floats per feature.</summary>
    private static (float[] Columns, float[] Bias) Stack(IReadOnlyList<Neural.Dense> layers, int width)
    {
        var columns = new float[layers[0].Inputs * width];
        var bias = new float[width];
        for (var m = 0; m < layers.Count; m++) StackMember(layers[m], m, columns, bias, width);
        return (columns, bias);
    }

    /// <summary>Copies member <paramref name="member"/>'s layer into its share of each feature's run (and of the bias).</summary>
    private static void StackMember(Neural.Dense layer, int member, float[] columns, float[] bias, int width)
    {
        var outputs = layer.Outputs;
        layer.Bias.Value.AsSpan(0, outputs).CopyTo(bias.AsSpan(member * outputs, outputs));
        for (var i = 0; i < outputs; i++)
        {
            var row = layer.Weight.Row(i);
            for (var j = 0; j < row.Length; j++) columns[j * width + member * outputs + i] = row[j];
        }
    }

    /// <summary>One thread's buffers for a prediction, so it allocates only its result.</summary>
    private sealed class Scratch(DialEnsemble ensemble)
    {
        public float[] Projection { get; } = new float[ensemble.Members.Count * ensemble.Hidden];

        public float[] Features { get; } = new float[ensemble.Encoder.Dimension];

        /// <summary>The item model's features of the prompt; null for an ensemble without one.</summary>
        public float[]? ItemFeatures { get; } = ensemble.Items is { } items ? new float[items.Encoder.Dimension] : null;

        public int[] Index { get; } = new int[ensemble.Features];

        public float[] Value { get; } = new float[ensemble.Features];

        public float[] Hidden { get; } = new float[ensemble.Hidden];

        /// <summary>[descriptor; log length], the cost head's input.</summary>
        public float[] CostInput { get; } = new float[ensemble.Members[0].Network.Descriptor + 1];

        /// <summary>Every member's U x + u₀ (padded like the stacked copy).</summary>
        public float[] CostProjection { get; } = new float[ensemble.CostWidth];
    }
}
