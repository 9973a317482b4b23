namespace Dial.Learning.Policy;

/// <summary>
/// The inputs, activations and outputs of one forward pass over a candidate set, kept for the backward pass.
/// Buffers are sized for a maximum candidate count and reused across episodes, so training does not allocate.
/// </summary>
public sealed class PolicyPass
{
    private readonly int _hidden;
    private readonly int _descriptor;
    private readonly float[] _descriptors;
    private readonly float[] _descriptorGradients;
    private readonly float[] _hiddens;
    private readonly float[] _costInputs;
    private readonly int _costRank;
    private readonly float[] _costMixes;

    public PolicyPass(int maxCandidates, int hidden, int descriptor, int costRank = 0)
    {
        _hidden = hidden;
        _descriptor = descriptor;
        _costRank = costRank;
        CostProjection = new float[costRank];
        CostProjectionGradient = new float[costRank];
        CostMixGradient = new float[costRank];
        CostMixInputGradient = new float[descriptor];
        _costMixes = new float[maxCandidates * costRank];
        MaxCandidates = maxCandidates;
        Projection = new float[hidden];
        ProjectionGradient = new float[hidden];
        HiddenGradient = new float[hidden];
        CostInputGradient = new float[descriptor + 1];
        _descriptors = new float[maxCandidates * descriptor];
        _descriptorGradients = new float[maxCandidates * descriptor];
        _hiddens = new float[maxCandidates * hidden];
        _costInputs = new float[maxCandidates * (descriptor + 1)];
        Latency = new float[maxCandidates];
        ItemLogit = new float[maxCandidates];
        QualityLogit = new float[maxCandidates];
        Quality = new float[maxCandidates];
        LogCost = new float[maxCandidates];
        Cost = new float[maxCandidates];
        Utility = new float[maxCandidates];
        Logit = new float[maxCandidates];
        Probability = new float[maxCandidates];
    }

    public PolicyPass(PolicyNetwork network, int maxCandidates) : this(maxCandidates, network.Hidden, network.Descriptor, network.CostRank) { }

    public int MaxCandidates { get; }

    public int Count { get; private set; }

    public float QualityWeight { get; private set; }

    public float CostWeight { get; private set; }

    public float LatencyWeight { get; private set; }

    public float LogLength { get; internal set; }

    public float[] Projection { get; }

    internal float[] ProjectionGradient { get; }

    internal float[] HiddenGradient { get; }

    internal float[] CostInputGradient { get; }

    /// <summary>U x + u₀, the prompt's cost projection (<see cref="PolicyNetwork.CostRank"/> values; none without the cost term).</summary>
    public float[] CostProjection { get; }

    internal float[] CostProjectionGradient { get; }

    internal float[] CostMixGradient { get; }

    internal float[] CostMixInputGradient { get; }

    /// <summary>Normalised latency of each candidate (an input, like the descriptors).</summary>
    public float[] Latency { get; }

    /// <summary>
    /// The identity model's logit θ·a(x) − b(x) of each candidate (an input; see <see cref="PolicyNetwork.HasItemPrior"/>),
    /// set by <see cref="SetItemLogit"/> after the candidate's descriptor.
    /// </summary>
    public float[] ItemLogit { get; }

    public float[] QualityLogit { get; }

    public float[] Quality { get; }

    public float[] LogCost { get; }

    /// <summary>Predicted cost in the reward scale's units.</summary>
    public float[] Cost { get; }

    public float[] Utility { get; }

    public float[] Logit { get; }

    public float[] Probability { get; }

    /// <summary>Starts a pass over <paramref name="count"/> candidates under a normalised preference.</summary>
    public void Reset(int count, Preference preference)
    {
        if (count <= 0 || count > MaxCandidates) throw new ArgumentOutOfRangeException(nameof(count), count, $"a pass holds 1 to {MaxCandidates} candidates");
        Count = count;
        var p = preference.Normalized();
        QualityWeight = (float)p.Quality;
        CostWeight = (float)p.Cost;
        LatencyWeight = (float)p.Latency;
    }

    public Span<float> Descriptor(int k) => _descriptors.AsSpan(k * _descriptor, _descriptor);

    /// <summary>Candidate k's identity-model logit under <paramref name="item"/>, from the identity in its descriptor; 0 without an item.</summary>
    public void SetItemLogit(int k, Identity.Item? item) => ItemLogit[k] = item is null ? 0 : ItemLogitOf(item, Descriptor(k));

    /// <summary>θ·a(x) − b(x) for the identity θ held in a candidate descriptor after its prices.</summary>
    public static float ItemLogitOf(Identity.Item item, ReadOnlySpan<float> descriptor) => (float)item.Logit(descriptor[CandidateDescriber.PriceFeatures..]);

    public Span<float> DescriptorGradient(int k) => _descriptorGradients.AsSpan(k * _descriptor, _descriptor);

    internal Span<float> Hidden(int k) => _hiddens.AsSpan(k * _hidden, _hidden);

    /// <summary>Candidate k's weights S d + s₀ on the prompt's cost projection.</summary>
    internal Span<float> CostMix(int k) => _costMixes.AsSpan(k * _costRank, _costRank);

    /// <summary>[descriptor; log length], the cost head's input.</summary>
    internal Span<float> CostInput(int k)
    {
        var input = _costInputs.AsSpan(k * (_descriptor + 1), _descriptor + 1);
        Descriptor(k).CopyTo(input);
        input[_descriptor] = LogLength;
        return input;
    }
}
