using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// inference-only copy of their prompt weights (see <see cref="_columns"/>) and each card's candidate terms,
/// both derived from the members' parameters.
/// </remarks>
public sealed class DialEnsemble : IPredictThenOptimiseRouter
{
    private readonly Dictionary<string, ModelCard> _cards;

    /// <summary>
    /// Every member's W_x and cost-term U, transposed and stacked: feature j's weights for the whole ensemble are one
    /// contiguous run [W_x of each member | U of each member | zeros up to a multiple of 16 floats] (3 × 32 + 3 × 4
    /// = 108 floats become 112). A prompt's projection then adds one run per non-zero feature in a single walk over
    /// them, instead of gathering one scattered column entry per hidden unit and member, and instead of a second
    /// walk for U: a decision is bound by reading these runs, and one stream of them is read faster than two.
    /// </summary>
    private readonly float[] _columns;

    /// <summary>The runs' bias: every member's b, then every member's u₀, then the padding's zeros.</summary>
    private readonly float[] _bias;

    private readonly PolicyNetwork[] _networks;
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
        _networks = members.Select(m => m.Network).ToArray();
        (_columns, _bias) = Stack(_networks, Width);
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

    /// <summary>Where the members' cost projections start in a stacked run: after every member's W_x.</summary>
    private int CostOffset => Members.Count * Hidden;

    /// <summary>A stacked run's length: members × (hidden + rank), padded to a multiple of 16.</summary>
    private int Width => (Members.Count * (Hidden + CostRank) + 15) / 16 * 16;

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
        var projection = ProjectStacked(features, scratch);
        var item = Items is { } items ? items.ItemOfFeatures(FeaturesOf(prompt, items.Encoder, scratch.ItemFeatures!)) : null;
        var predictions = new CandidatePredictions(candidates);
        var costInput = scratch.CostInput;
        costInput[^1] = DialPolicy.LogLength(prompt.Text);
        for (var k = 0; k < candidates.Count; k++)
        {
            var terms = _candidateTerms.GetValue(candidates[k], _describe);
            double quality = 0, cost = 0;
            for (var i = 0; i < _networks.Length; i++)
            {
                var network = _networks[i];
                var logit = network.QualityLogit(projection.Slice(i * Hidden, Hidden), terms.Term(i), scratch.Hidden);
                if (item is not null) logit += network.ItemTerm(PolicyPass.ItemLogitOf(item, terms.Descriptor(i)));
                quality += (float)Neural.Activation.Sigmoid(logit);
                terms.Descriptor(i).CopyTo(costInput);
                cost += MathF.Exp(network.LogCost(costInput, terms.Mix(i), projection.Slice(CostOffset + i * CostRank, CostRank)));
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
        var (hidden, width) = (Hidden, Width);
        var columns = step.PromptColumns;
        // Row by row: the member's W_x is row-major, so each row's few changed entries are visited in ascending order.
        for (var i = 0; i < hidden; i++)
        {
            var row = network.Prompt.Weight.Row(i);
            for (var n = 0; n < step.Count; n++) row[step.Features[n]] += columns[n * hidden + i];
        }
        for (var n = 0; n < step.Count; n++)
        {
            var run = _columns.AsSpan(step.Features[n] * width + member * hidden, hidden);
            TensorPrimitives.Add(run, step.Column(n), run);
        }
        var parameters = network.DenseStepParameters;
        for (var p = 0; p < parameters.Count; p++)
        {
            var value = parameters[p].Value;
            var delta = step.Dense[p];
            for (var i = 0; i < value.Length; i++) value[i] += delta[i];
        }
        network.Prompt.Bias.Value.AsSpan(0, Hidden).CopyTo(_bias.AsSpan(member * Hidden, Hidden));
        // U is not in a step (it stays as trained online); its bias u₀ is.
        if (CostRank > 0) network.CostPrompt!.Bias.Value.AsSpan(0, CostRank).CopyTo(_bias.AsSpan(CostOffset + member * CostRank, CostRank));
        _beta = MeanBeta(Members);
        _candidateTerms.Clear();
    }

    private static float MeanBeta(IReadOnlyList<DialPolicy> members) => (float)(members.Sum(m => (double)m.Network.Beta) / members.Count);

    /// <summary>
    /// Every member's W_x x + b (into <paramref name="prompt"/>, member after member) and U x + u₀ (into
    /// <paramref name="cost"/>) over the non-zero features, in the order a single policy adds them (bias first, then
    /// features by index), so each member's projections are bit-for-bit the ones it computes alone.
    /// </summary>
    public void Project(ReadOnlySpan<float> features, Span<float> prompt, Span<float> cost)
    {
        if (features.Length != Features || prompt.Length != CostOffset || cost.Length != Members.Count * CostRank)
            throw new ArgumentException($"projection of {features.Length} features into {prompt.Length} + {cost.Length} values; the ensemble takes {Features} into {CostOffset} + {Members.Count * CostRank}");
        var projection = ProjectStacked(features, _scratch.Value!);
        projection[..CostOffset].CopyTo(prompt);
        projection.Slice(CostOffset, cost.Length).CopyTo(cost);
    }

    /// <summary>
    /// bias + Σ run(j) x_j over the prompt's non-zero features, the whole stacked width (both projections of every
    /// member) at once, into the scratch's buffer. The width is walked in blocks of up to 112 floats held in
    /// registers across all the features, so the projection is only read and written once per block, not once per
    /// feature; the default ensemble's 112 floats are one walk.
    /// </summary>
    private ReadOnlySpan<float> ProjectStacked(ReadOnlySpan<float> features, Scratch scratch)
    {
        var count = Gather(features, scratch);
        var indices = scratch.Index.AsSpan(0, count);
        var values = scratch.Value.AsSpan(0, count);
        var projection = scratch.Projection;
        _bias.CopyTo(projection);
        var width = projection.Length;
        var start = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The width is a multiple of 16, so what is left after the 112-float blocks is at most one 64, one 32
            // and one 16.
            for (; start + Block112.Floats <= width; start += Block112.Floats) ProjectBlock<Block112>(_columns, indices, values, start, projection);
            start = ProjectBlockIfFits<Block64>(indices, values, start, projection);
            start = ProjectBlockIfFits<Block32>(indices, values, start, projection);
            start = ProjectBlockIfFits<Block16>(indices, values, start, projection);
        }
        for (var n = 0; n < indices.Length; n++)
        {
            var run = _columns.AsSpan(indices[n] * width, width);
            var x = values[n];
            for (var i = start; i < width; i++) projection[i] += run[i] * x;
        }
        return projection;
    }

    private int ProjectBlockIfFits<TBlock>(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int start, float[] projection) where TBlock : struct, IBlock
    {
        if (start + TBlock.Floats > projection.Length) return start;
        ProjectBlock<TBlock>(_columns, indices, values, start, projection);
        return start + TBlock.Floats;
    }

    /// <summary>
    /// Writes the non-zero features' indices and values, in ascending order, into the scratch's buffers and returns
    /// how many there are. Branch-free: 40% or more of them are non-zero, in no predictable pattern, so a branch per
    /// feature would mispredict often. Eight at a time where the CPU can: a lookup table gives, for each pattern of
    /// non-zeros among eight lanes, the permutation moving them to the front.
    /// </summary>
    private static int Gather(ReadOnlySpan<float> features, Scratch scratch)
    {
        var count = 0;
        var j = 0;
        if (Avx2.IsSupported)
        {
            ref var feature = ref MemoryMarshal.GetReference(features);
            ref var index = ref MemoryMarshal.GetArrayDataReference(scratch.Index);
            ref var value = ref MemoryMarshal.GetArrayDataReference(scratch.Value);
            var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            // Each step stores eight lanes and keeps the non-zero ones: the buffers have eight floats to spare.
            for (; j + 8 <= features.Length; j += 8)
            {
                var x = Vector256.LoadUnsafe(ref feature, (nuint)j);
                var nonZero = ~Vector256.Equals(x, Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFF;
                var permutation = NonZeroFirst[nonZero];
                Avx2.PermuteVar8x32(x, permutation).StoreUnsafe(ref value, (nuint)count);
                Avx2.PermuteVar8x32(lanes + Vector256.Create(j), permutation).StoreUnsafe(ref index, (nuint)count);
                count += BitOperations.PopCount(nonZero);
            }
        }
        for (; j < features.Length; j++)
        {
            scratch.Index[count] = j;
            scratch.Value[count] = features[j];
            count += features[j] != 0 ? 1 : 0;
        }
        return count;
    }

    /// <summary>For each 8-bit pattern of non-zero lanes, the lanes in the order that puts the non-zero ones first, ascending.</summary>
    private static readonly Vector256<int>[] NonZeroFirst = Enumerable.Range(0, 256).Select(pattern =>
    {
        var order = Enumerable.Range(0, 8).Where(lane => (pattern >> lane & 1) == 1).Concat(Enumerable.Range(0, 8).Where(lane => (pattern >> lane & 1) == 0)).ToArray();
        return Vector256.Create(order);
    }).ToArray();

    /// <summary>
    /// How many floats one walk over the features accumulates in registers. 112 floats are fourteen 256-bit
    /// accumulators, which with the feature's broadcast value and a loaded vector fill the sixteen registers; many
    /// accumulators also keep the adds' latency hidden. Smaller blocks finish a width that is not a multiple of 112.
    /// </summary>
    private interface IBlock
    {
        static abstract int Floats { get; }
    }

    private readonly struct Block112 : IBlock
    {
        public static int Floats => 112;
    }

    private readonly struct Block64 : IBlock
    {
        public static int Floats => 64;
    }

    private readonly struct Block32 : IBlock
    {
        public static int Floats => 32;
    }

    private readonly struct Block16 : IBlock
    {
        public static int Floats => 16;
    }

    private static void ProjectBlock<TBlock>(float[] stacked, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int start, Span<float> projection) where TBlock : struct, IBlock
    {
        // The JIT compiles one body per block type, in which these counts are constants and the unused code is gone.
        var vectors = TBlock.Floats / 8;
        var width = projection.Length;
        ref var output = ref MemoryMarshal.GetReference(projection[start..]);
        var (a0, a1) = (Vector256.LoadUnsafe(ref output, 0), Vector256.LoadUnsafe(ref output, 8));
        var (a2, a3) = vectors > 2 ? (Vector256.LoadUnsafe(ref output, 16), Vector256.LoadUnsafe(ref output, 24)) : default;
        var (a4, a5, a6, a7) = vectors > 4
            ? (Vector256.LoadUnsafe(ref output, 32), Vector256.LoadUnsafe(ref output, 40), Vector256.LoadUnsafe(ref output, 48), Vector256.LoadUnsafe(ref output, 56))
            : default;
        var (a8, a9, a10) = vectors > 8
            ? (Vector256.LoadUnsafe(ref output, 64), Vector256.LoadUnsafe(ref output, 72), Vector256.LoadUnsafe(ref output, 80))
            : default;
        var (a11, a12, a13) = vectors > 8
            ? (Vector256.LoadUnsafe(ref output, 88), Vector256.LoadUnsafe(ref output, 96), Vector256.LoadUnsafe(ref output, 104))
            : default;
        ref var columns = ref MemoryMarshal.GetArrayDataReference(stacked);
        for (var n = 0; n < indices.Length; n++)
        {
            ref var column = ref Unsafe.Add(ref columns, (nint)indices[n] * width + start);
            var x = Vector256.Create(values[n]);
            // Multiply then add, never fused: the rounding must match the single policy's scalar loop.
            a0 += Vector256.LoadUnsafe(ref column, 0) * x;
            a1 += Vector256.LoadUnsafe(ref column, 8) * x;
            if (vectors == 2) continue;
            a2 += Vector256.LoadUnsafe(ref column, 16) * x;
            a3 += Vector256.LoadUnsafe(ref column, 24) * x;
            if (vectors == 4) continue;
            a4 += Vector256.LoadUnsafe(ref column, 32) * x;
            a5 += Vector256.LoadUnsafe(ref column, 40) * x;
            a6 += Vector256.LoadUnsafe(ref column, 48) * x;
            a7 += Vector256.LoadUnsafe(ref column, 56) * x;
            if (vectors == 8) continue;
            a8 += Vector256.LoadUnsafe(ref column, 64) * x;
            a9 += Vector256.LoadUnsafe(ref column, 72) * x;
            a10 += Vector256.LoadUnsafe(ref column, 80) * x;
            a11 += Vector256.LoadUnsafe(ref column, 88) * x;
            a12 += Vector256.LoadUnsafe(ref column, 96) * x;
            a13 += Vector256.LoadUnsafe(ref column, 104) * x;
        }
        a0.StoreUnsafe(ref output, 0);
        a1.StoreUnsafe(ref output, 8);
        if (vectors == 2) return;
        a2.StoreUnsafe(ref output, 16);
        a3.StoreUnsafe(ref output, 24);
        if (vectors == 4) return;
        a4.StoreUnsafe(ref output, 32);
        a5.StoreUnsafe(ref output, 40);
        a6.StoreUnsafe(ref output, 48);
        a7.StoreUnsafe(ref output, 56);
        if (vectors == 8) return;
        a8.StoreUnsafe(ref output, 64);
        a9.StoreUnsafe(ref output, 72);
        a10.StoreUnsafe(ref output, 80);
        a11.StoreUnsafe(ref output, 88);
        a12.StoreUnsafe(ref output, 96);
        a13.StoreUnsafe(ref output, 104);
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

    /// <summary>Every member's W_x and U transposed and stacked into runs of <paramref name="width"/> floats per feature.</summary>
    private static (float[] Columns, float[] Bias) Stack(IReadOnlyList<PolicyNetwork> networks, int width)
    {
        var columns = new float[networks[0].Features * width];
        var bias = new float[width];
        var costOffset = networks.Count * networks[0].Hidden;
        for (var m = 0; m < networks.Count; m++)
        {
            StackLayer(networks[m].Prompt, m * networks[m].Hidden, columns, bias, width);
            if (networks[m].CostPrompt is { } cost) StackLayer(cost, costOffset + m * cost.Outputs, columns, bias, width);
        }
        return (columns, bias);
    }

    /// <summary>Copies a layer into its share of each feature's run (and of the bias), from <paramref name="offset"/> on.</summary>
    private static void StackLayer(Neural.Dense layer, int offset, float[] columns, float[] bias, int width)
    {
        layer.Bias.Value.AsSpan(0, layer.Outputs).CopyTo(bias.AsSpan(offset, layer.Outputs));
        for (var i = 0; i < layer.Outputs; i++)
        {
            var row = layer.Weight.Row(i);
            for (var j = 0; j < row.Length; j++) columns[j * width + offset + i] = row[j];
        }
    }

    /// <summary>One thread's buffers for a prediction, so it allocates only its result.</summary>
    private sealed class Scratch(DialEnsemble ensemble)
    {
        /// <summary>The stacked projection: every member's W_x x + b, then every member's U x + u₀, then padding.</summary>
        public float[] Projection { get; } = new float[ensemble.Width];

        public float[] Features { get; } = new float[ensemble.Encoder.Dimension];

        /// <summary>The item model's features of the prompt; null for an ensemble without one.</summary>
        public float[]? ItemFeatures { get; } = ensemble.Items is { } items ? new float[items.Encoder.Dimension] : null;

        /// <summary>The non-zero features' indices, with room for the eight lanes a vector step stores.</summary>
        public int[] Index { get; } = new int[ensemble.Features + 8];

        public float[] Value { get; } = new float[ensemble.Features + 8];

        public float[] Hidden { get; } = new float[ensemble.Hidden];

        /// <summary>[descriptor; log length], the cost head's input.</summary>
        public float[] CostInput { get; } = new float[ensemble.Members[0].Network.Descriptor + 1];
    }
}
