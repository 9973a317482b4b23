using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// The shared scorer behind the policy. For prompt features x, prompt length ℓ and a candidate descriptor d:
/// <code>
///   q̂(x, d) = σ(v · ReLU(W_x x + W_d d + b) + c + γ z)  predicted quality in [0, 1] (no W_d d when there is a z)
///   ĉ(x, ℓ, d) = exp(a · [d; ℓ] + a₀ + (S d + s₀) · (U x + u₀))   predicted cost, in the reward scale's cost units
///   logit   = β · (w_q q̂ − w_c ĉ − w_l l̂)               l̂ the card's latency in the scale's units
/// </code>
/// The bilinear term (rank r = <see cref="CostRank"/>; absent when 0, as in files before format 4) lets each
/// candidate's predicted cost depend on the prompt's content in its own way: a prompt asking for code makes some
/// models write far more than others, and a candidate's cost is mostly its output length times its price. It reads
/// the candidate only through its descriptor, so a model routed by its identity vector gets it too. S and s₀ start
/// at zero, so training starts from the closed-form fit of the rest of the head.
/// z is the identity model's own logit θ·a(x) − b(x) for the candidate's identity θ, when the policy has an item
/// model (<see cref="HasItemPrior"/>; otherwise the term is absent). It is linear in θ, so a model beyond the
/// identities the policy was trained on gets a prediction beyond theirs too, which the ReLU layer alone cannot give;
/// with it, the ReLU layer reads the prompt only (<see cref="CandidateWeight"/>).
/// The prompt is projected once (W_x x) and shared by all candidates, so a decision costs one H×F product plus a
/// few small ones per candidate. Neither q̂ nor ĉ sees the preference, so the argmax is a linear scalarisation of
/// fixed predictions and the chosen predicted cost can only fall as the cost weight rises; and no candidate's
/// score depends on the others, so the policy is permutation invariant and removing a candidate leaves the
/// others' probability ratios unchanged. β &gt; 0 (stored as log β) sets how peaked the training policy is; it
/// never changes the argmax.
/// </summary>
public sealed class PolicyNetwork
{
    public PolicyNetwork(int features, int descriptor, int hidden, float initialBeta, Random random, bool itemPrior = false, int costRank = 0)
    {
        if (features <= 0 || descriptor <= 0 || hidden <= 0) throw new ArgumentOutOfRangeException(nameof(hidden), "network sizes must be positive");
        ArgumentOutOfRangeException.ThrowIfNegative(costRank);
        if (!(initialBeta > 0)) throw new ArgumentOutOfRangeException(nameof(initialBeta), initialBeta, "inverse temperature must be positive");
        Prompt = new Dense("policy.prompt", features, hidden, random);
        Descriptor = descriptor;
        if (!itemPrior) CandidateWeight = new Parameter("policy.candidate", hidden, descriptor).InitGlorot(random);
        Quality = new Dense("policy.quality", hidden, 1, random);
        Cost = new Dense("policy.cost", descriptor + 1, 1, random);
        LogBeta = new Parameter("policy.log_beta", 1, 1);
        LogBeta.Value[0] = MathF.Log(initialBeta);
        if (itemPrior)
        {
            // Starts by trusting the identity model fully; training learns how much of it to keep.
            ItemWeight = new Parameter("policy.item_weight", 1, 1);
            ItemWeight.Value[0] = 1;
        }
        if (costRank > 0)
        {
            CostPrompt = new Dense("policy.cost_prompt", features, costRank, random);
            CostMix = new Dense(new Parameter("policy.cost_mix.weight", costRank, descriptor), new Parameter("policy.cost_mix.bias", costRank, 1));
        }
    }

    public Dense Prompt { get; }

    /// <summary>
    /// W_d; null when the policy has an item model, whose q̂ reads the candidate only through z. With W_d the ReLU
    /// layer learned quality from the descriptor's price columns, which the known models' qualities follow, and
    /// then gave a new expensive model a strong model's quality from its price alone; and it learned a saturating
    /// function of the identity that flattened a new model stronger than every known one back to the best known
    /// (docs/studies.md, session 11). Without it the layer corrects z by the prompt alone, and q̂ stays monotone
    /// in the identity model's own prediction.
    /// </summary>
    public Parameter? CandidateWeight { get; }

    public Dense Quality { get; }

    public Dense Cost { get; }

    public Parameter LogBeta { get; }

    /// <summary>γ, the weight of the identity model's logit in q̂'s; null when the policy has no item model.</summary>
    public Parameter? ItemWeight { get; }

    public bool HasItemPrior => ItemWeight is not null;

    /// <summary>U and u₀: the prompt's r-dimensional cost projection U x + u₀; null when <see cref="CostRank"/> is 0.</summary>
    public Dense? CostPrompt { get; }

    /// <summary>S and s₀: the candidate's r weights S d + s₀ on the prompt's cost projection; null when <see cref="CostRank"/> is 0.</summary>
    public Dense? CostMix { get; }

    /// <summary>Rank of the prompt-by-candidate cost term; 0 when the cost head does not read the prompt's content.</summary>
    public int CostRank => CostPrompt?.Outputs ?? 0;

    public int Features => Prompt.Inputs;

    public int Hidden => Prompt.Outputs;

    public int Descriptor { get; }

    public float Beta => MathF.Exp(LogBeta.Value[0]);

    /// <summary>
    /// W_x first (the online learner's <see cref="PolicyStep"/> relies on it), then γ and the cost term's U, u₀, S,
    /// s₀ when present, in the order files of each format hold them.
    /// </summary>
    public IReadOnlyList<Parameter> Parameters =>
    [
        .. Prompt.Parameters, .. CandidateWeight is null ? [] : new[] { CandidateWeight }, .. Quality.Parameters, .. Cost.Parameters, LogBeta,
        .. ItemWeight is null ? [] : new[] { ItemWeight },
        .. CostPrompt?.Parameters ?? [], .. CostMix?.Parameters ?? [],
    ];

    /// <summary>
    /// What an online step (<see cref="PolicyStep"/>) moves densely: every parameter but the two prompt weight
    /// matrices, whose gradients are a projection's gradient times the prompt's features. W_x moves sparsely, in the
    /// prompt's feature columns; U stays as trained, so a step stays a few thousand floats per member.
    /// </summary>
    public IReadOnlyList<Parameter> DenseStepParameters => Parameters.Skip(1).Where(p => p != CostPrompt?.Weight).ToArray();

    /// <summary>Scores every candidate of <paramref name="pass"/> (descriptors, latencies and preference already set).</summary>
    public void Forward(PolicyPass pass, ReadOnlySpan<float> features, float logLength)
    {
        if (features.Length != Features) throw new ArgumentException($"prompt features have length {features.Length}, the policy expects {Features}");
        pass.LogLength = logLength;
        Span<int> buffer = features.Length <= 4096 ? stackalloc int[features.Length] : new int[features.Length];
        var nonZero = NonZero(features, buffer);
        ProjectSparse(Prompt, features, nonZero, pass.Projection);
        if (CostPrompt is not null) ProjectSparse(CostPrompt, features, nonZero, pass.CostProjection);
        ScoreCandidates(pass);
    }

    /// <summary>
    /// Scores every candidate from the prompt projections already in <paramref name="pass"/>, so the online
    /// fine-tuner can project a prompt once for all the ensemble's members.
    /// </summary>
    internal void ScoreCandidates(PolicyPass pass)
    {
        var beta = Beta;
        for (var k = 0; k < pass.Count; k++)
        {
            var h = pass.Hidden(k);
            CandidateTerm(pass.Descriptor(k), h);
            pass.QualityLogit[k] = QualityLogit(pass.Projection, h, h) + ItemTerm(pass.ItemLogit[k]);
            pass.Quality[k] = (float)Activation.Sigmoid(pass.QualityLogit[k]);
            CostMixOf(pass.Descriptor(k), pass.CostMix(k));
            pass.LogCost[k] = LogCost(pass.CostInput(k), pass.CostMix(k), pass.CostProjection);
            pass.Cost[k] = MathF.Exp(pass.LogCost[k]);
            pass.Utility[k] = pass.QualityWeight * pass.Quality[k] - pass.CostWeight * pass.Cost[k] - pass.LatencyWeight * pass.Latency[k];
            pass.Logit[k] = beta * pass.Utility[k];
        }
        Activation.Softmax(pass.Logit.AsSpan(0, pass.Count), pass.Probability.AsSpan(0, pass.Count));
    }

    /// <summary>
    /// W_d d, the candidate's share of the hidden pre-activation. It does not depend on the prompt, so a router
    /// may compute it once per candidate card and reuse it for every prompt.
    /// </summary>
    internal void CandidateTerm(ReadOnlySpan<float> descriptor, Span<float> term)
    {
        if (CandidateWeight is null)
        {
            term.Clear();
            return;
        }
        for (var i = 0; i < term.Length; i++) term[i] = TensorPrimitives.Dot(CandidateWeight.Row(i), descriptor);
    }

    /// <summary>
    /// q̂'s logit v · ReLU(W_x x + b + W_d d) + c from the prompt projection and the candidate term; leaves the
    /// activation in <paramref name="hidden"/>, which may be <paramref name="term"/> itself.
    /// </summary>
    internal float QualityLogit(ReadOnlySpan<float> projection, ReadOnlySpan<float> term, Span<float> hidden)
    {
        TensorPrimitives.Add(term, projection, hidden);
        Activation.Relu(hidden);
        Span<float> output = stackalloc float[1];
        Quality.Forward(hidden, output);
        return output[0];
    }

    /// <summary>γ z, the identity model's share of q̂'s logit; 0 for a policy without an item model.</summary>
    internal float ItemTerm(float itemLogit) => ItemWeight is null ? 0 : ItemWeight.Value[0] * itemLogit;

    /// <summary>
    /// S d + s₀, the candidate's weights on the prompt's cost projection. It does not depend on the prompt, so a
    /// router may compute it once per candidate card; nothing when <see cref="CostRank"/> is 0.
    /// </summary>
    internal void CostMixOf(ReadOnlySpan<float> descriptor, Span<float> mix) => CostMix?.Forward(descriptor, mix);

    /// <summary>log ĉ from [descriptor; log length], the candidate's cost mix and the prompt's cost projection.</summary>
    internal float LogCost(ReadOnlySpan<float> costInput, ReadOnlySpan<float> mix, ReadOnlySpan<float> costProjection)
    {
        Span<float> output = stackalloc float[1];
        Cost.Forward(costInput, output);
        if (CostPrompt is not null) output[0] += TensorPrimitives.Dot(mix, costProjection);
        // Clamped so an untrained head cannot overflow; e^±30 is far outside any real price ratio.
        return Math.Clamp(output[0], -30f, 30f);
    }

    /// <summary>
    /// W x + b over the non-zero features only (the prompt's W_x and the cost term's U): TF-IDF vectors are
    /// mostly zeros, so the projection that dominates a decision's cost shrinks by that ratio.
    /// </summary>
    private static void ProjectSparse(Dense layer, ReadOnlySpan<float> features, ReadOnlySpan<int> nonZero, Span<float> projection)
    {
        var weight = layer.Weight;
        for (var i = 0; i < projection.Length; i++)
        {
            var row = weight.Row(i);
            var sum = layer.Bias.Value[i];
            for (var n = 0; n < nonZero.Length; n++) sum += row[nonZero[n]] * features[nonZero[n]];
            projection[i] = sum;
        }
    }

    /// <summary>
    /// Sets the cost head to the ridge-regression fit of log cost on [descriptor; log length], so training starts
    /// from sensible cost predictions: by gradient steps alone the head would need thousands of updates to move
    /// its bias to the scale of log prices, and until then the dial would order models by an arbitrary cost.
    /// </summary>
    public void FitCostHead(IReadOnlyList<float[]> costInputs, IReadOnlyList<float> logCosts, double ridge = 1e-3)
    {
        if (costInputs.Count == 0 || costInputs.Count != logCosts.Count) throw new ArgumentException("cost head fit needs one log cost per input, and at least one");
        var columns = Descriptor + 2;
        var x = Matrix<double>.Build.Dense(costInputs.Count, columns, (i, j) => j < columns - 1 ? costInputs[i][j] : 1.0);
        var y = Vector<double>.Build.Dense(logCosts.Count, i => logCosts[i]);
        var gram = x.TransposeThisAndMultiply(x) + ridge * Matrix<double>.Build.DenseIdentity(columns);
        var w = gram.Cholesky().Solve(x.TransposeThisAndMultiply(y));
        for (var j = 0; j < columns - 1; j++) Cost.Weight.Value[j] = (float)w[j];
        Cost.Bias.Value[0] = (float)w[columns - 1];
    }

    /// <summary>
    /// Accumulates parameter gradients from dL/dlogit plus direct gradients on each candidate's quality logit and
    /// log cost (the supervised terms), and writes dL/d(descriptor) into the pass for a trainable describer.
    /// </summary>
    public void Backward(PolicyPass pass, ReadOnlySpan<float> features, ReadOnlySpan<float> logitGradient, ReadOnlySpan<float> qualityLogitGradient, ReadOnlySpan<float> logCostGradient)
    {
        var beta = Beta;
        var dProjection = pass.ProjectionGradient;
        dProjection.AsSpan().Clear();
        var dCostProjection = pass.CostProjectionGradient;
        dCostProjection.AsSpan().Clear();
        Span<float> dOutput = stackalloc float[1];
        var dHidden = pass.HiddenGradient;
        for (var k = 0; k < pass.Count; k++)
        {
            LogBeta.Gradient[0] += logitGradient[k] * pass.Utility[k] * beta;
            var dUtility = logitGradient[k] * beta;
            var q = pass.Quality[k];
            var dDescriptor = pass.DescriptorGradient(k);
            dDescriptor.Clear();

            dOutput[0] = dUtility * pass.QualityWeight * q * (1 - q) + qualityLogitGradient[k];
            if (dOutput[0] != 0)
            {
                // z depends on the identity, which is fixed: only γ learns from it.
                if (ItemWeight is not null) ItemWeight.Gradient[0] += dOutput[0] * pass.ItemLogit[k];
                var h = pass.Hidden(k);
                Quality.Backward(h, dOutput, dHidden);
                Activation.ReluBackward(h, dHidden);
                if (CandidateWeight is not null) CandidateBackward(pass.Descriptor(k), dHidden, dDescriptor);
                TensorPrimitives.Add(dProjection, dHidden, dProjection);
            }

            var clamped = pass.LogCost[k] is <= -30f or >= 30f;
            dOutput[0] = clamped ? 0 : -dUtility * pass.CostWeight * pass.Cost[k] + logCostGradient[k];
            if (dOutput[0] != 0)
            {
                var dCostInput = pass.CostInputGradient;
                Cost.Backward(pass.CostInput(k), dOutput, dCostInput);
                TensorPrimitives.Add(dDescriptor, dCostInput.AsSpan(0, Descriptor), dDescriptor);
                if (CostMix is not null) MixBackward(pass, k, dOutput[0], dDescriptor, dCostProjection);
            }
        }
        Span<int> buffer = features.Length <= 4096 ? stackalloc int[features.Length] : new int[features.Length];
        var nonZero = NonZero(features, buffer);
        ProjectBackward(Prompt, features, nonZero, dProjection);
        if (CostPrompt is not null) ProjectBackward(CostPrompt, features, nonZero, dCostProjection);
    }

    /// <summary>dL/dW_d += dHidden dᵀ and dL/dd += W_dᵀ dHidden.</summary>
    private void CandidateBackward(ReadOnlySpan<float> descriptor, ReadOnlySpan<float> dHidden, Span<float> dDescriptor)
    {
        for (var i = 0; i < dHidden.Length; i++)
        {
            if (dHidden[i] == 0) continue;
            var gradRow = CandidateWeight!.GradientRow(i);
            TensorPrimitives.MultiplyAdd(descriptor, dHidden[i], gradRow, gradRow);
            TensorPrimitives.MultiplyAdd(CandidateWeight.Row(i), dHidden[i], dDescriptor, dDescriptor);
        }
    }

    /// <summary>
    /// The bilinear cost term's share of candidate k's gradients, given dL/dlog ĉ: (dL/dlog ĉ) · p on the mix
    /// S d + s₀ (into S, s₀ and the descriptor) and (dL/dlog ĉ) · mix on the prompt's cost projection p.
    /// </summary>
    private void MixBackward(PolicyPass pass, int k, float dLogCost, Span<float> dDescriptor, Span<float> dCostProjection)
    {
        var mix = pass.CostMix(k);
        TensorPrimitives.MultiplyAdd(mix, dLogCost, dCostProjection, dCostProjection);
        var dMix = pass.CostMixGradient;
        TensorPrimitives.Multiply(pass.CostProjection, dLogCost, dMix);
        var dMixInput = pass.CostMixInputGradient;
        CostMix!.Backward(pass.Descriptor(k), dMix, dMixInput);
        TensorPrimitives.Add(dDescriptor, dMixInput, dDescriptor);
    }

    /// <summary>dL/dW = dProjection xᵀ and dL/db = dProjection, touching only the non-zero features' columns.</summary>
    private static void ProjectBackward(Dense layer, ReadOnlySpan<float> features, ReadOnlySpan<int> nonZero, ReadOnlySpan<float> dProjection)
    {
        for (var i = 0; i < dProjection.Length; i++)
        {
            var g = dProjection[i];
            if (g == 0) continue;
            layer.Bias.Gradient[i] += g;
            var gradRow = layer.Weight.GradientRow(i);
            for (var n = 0; n < nonZero.Length; n++) gradRow[nonZero[n]] += g * features[nonZero[n]];
        }
    }

    /// <summary>The indices of the non-zero features, written into <paramref name="indices"/>; the projection and its gradient share them.</summary>
    private static ReadOnlySpan<int> NonZero(ReadOnlySpan<float> features, Span<int> indices)
    {
        var count = 0;
        for (var j = 0; j < features.Length; j++)
            if (features[j] != 0) indices[count++] = j;
        return indices[..count];
    }
}
