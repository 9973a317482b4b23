using Dial.Learning.Identity;

namespace Dial.Learning.Policy;

/// <summary>Hyper-parameters of the policy and its training. The defaults were chosen on a validation slice of RouterBench's train split.</summary>
public sealed record PolicyOptions
{
    /// <summary>
    /// The defaults for a kind of feedback. Full information reveals every candidate of an episode (about eight on
    /// RouterBench) where bandit feedback reveals one, so it fits the training prompts in fewer passes: at the
    /// bandit's 30 epochs it overfits them (validation auc 0.744 against 0.750 at 10 epochs; docs/policy.md).
    /// </summary>
    public static PolicyOptions For(Feedback feedback) =>
        feedback == Feedback.Full ? new PolicyOptions { Epochs = 10, WarmStartEpochs = 2 } : new PolicyOptions();

    public int Epochs { get; init; } = 30;

    /// <summary>Leading epochs that fit q̂ and ĉ on one uniformly drawn arm per prompt (all arms with full feedback) before the policy acts.</summary>
    public int WarmStartEpochs { get; init; } = 5;

    /// <summary>
    /// Policies (seeds) in the ensemble <see cref="DialPolicyTrainer.Train"/> returns; 1 is a single policy.
    /// <see cref="DialPolicyTrainer.TrainPolicy"/> always trains one.
    /// </summary>
    public int EnsembleSize { get; init; } = 3;

    /// <summary>
    /// Length of the policy's own hashed TF-IDF features, fitted on the training prompts; null uses the
    /// context's encoder. Fewer collisions between words help q̂ tell prompts apart.
    /// </summary>
    public int? FeatureDimension { get; init; } = 4096;

    /// <summary>
    /// Hidden units per member. 32 and 64 route alike on validation (docs/policy.md), and 32 halves the stacked
    /// prompt weights a decision reads (3 members × 32 × 4 bytes per feature, 1.5 MB for 4,096 features), which
    /// is what a decision's time turns on: on a machine whose cache holds 1.5 MB but not 3 MB it takes a third
    /// of the time.
    /// </summary>
    public int Hidden { get; init; } = 32;

    /// <summary>
    /// Rank of the cost head's prompt-by-candidate term (<see cref="PolicyNetwork.CostRank"/>): how many directions of
    /// the prompt's content each candidate's predicted cost may respond to in its own way; 0 leaves the prompt's
    /// content out of ĉ. Each adds members × 4 bytes per prompt feature to what a decision reads.
    /// </summary>
    public int CostRank { get; init; } = 4;

    /// <summary>Length of the learned per-model embedding, when no identities are given.</summary>
    public int EmbeddingDimension { get; init; } = 8;

    public float LearningRate { get; init; } = 3e-3f;

    /// <summary>The learning rate decays (cosine) to this fraction of <see cref="LearningRate"/> by the last epoch; 1 keeps it constant.</summary>
    public double FinalLearningRateFraction { get; init; } = 1;

    public float WeightDecay { get; init; } = 1e-4f;

    public int BatchSize { get; init; } = 32;

    public float EntropyWeight { get; init; } = 0.01f;

    public float QualityLossWeight { get; init; } = 1f;

    public float CostLossWeight { get; init; } = 1f;

    public float InitialBeta { get; init; } = 10f;

    /// <summary>
    /// With bandit feedback, the share of policy-gradient episodes whose arm is drawn uniformly instead of from π
    /// (the policy-gradient term is importance-weighted by π/μ, so it still follows π's gradient). q̂ is fitted only on
    /// the arms the episodes reveal: without exploration, a model π has turned away from on a group of prompts is never
    /// observed there again, and its q̂ drifts with the shared network; one member of three did so on RouterBench,
    /// ranking Yi-34B above gpt-4 on 45% of the training prompts (docs/policy.md).
    /// </summary>
    public double Exploration { get; init; } = 0.1;

    /// <summary>Each available model stays in an episode's candidate set with this probability (at least two stay).</summary>
    public double KeepProbability { get; init; } = 0.7;

    public PreferenceSampler Preferences { get; init; } = PreferenceSampler.Default;

    /// <summary>Identity vectors to describe models by; when null the policy learns an embedding per model.</summary>
    public IdentityTable? Identities { get; init; }

    /// <summary>Alternative identities per model (quiz-sized refits) that training descriptions draw from; routing uses <see cref="Identities"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ModelIdentity>>? IdentityVariants { get; init; }

    /// <summary>
    /// The identity model whose own prediction θ·a(x) − b(x) q̂'s logit starts from (<see cref="PolicyNetwork"/>);
    /// needs <see cref="Identities"/> of its dimension. Null: q̂ learns from the descriptors alone.
    /// </summary>
    public PromptItemModel? Items { get; init; }

    public void Validate()
    {
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be positive");
        if (WarmStartEpochs < 0 || WarmStartEpochs > Epochs) throw new ArgumentOutOfRangeException(nameof(WarmStartEpochs), WarmStartEpochs, "warm-start epochs must be between 0 and the number of epochs");
        if (EnsembleSize <= 0) throw new ArgumentOutOfRangeException(nameof(EnsembleSize), EnsembleSize, "an ensemble needs at least one policy");
        if (FeatureDimension is <= 0) throw new ArgumentOutOfRangeException(nameof(FeatureDimension), FeatureDimension, "the feature dimension must be positive");
        if (CostRank < 0) throw new ArgumentOutOfRangeException(nameof(CostRank), CostRank, "the cost term's rank must not be negative");
        if (Hidden <= 0 || EmbeddingDimension <= 0 || BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), "hidden size, embedding dimension and batch size must be positive");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (IdentityVariants is not null && Identities is null) throw new ArgumentException("identity variants need the identities they vary (PolicyOptions.Identities)");
        if (Items is not null && Identities?.Dimension != Items.Dimension)
            throw new ArgumentException($"an item prior needs identities of its {Items.Dimension} dimensions (PolicyOptions.Identities)");
        if (!(Exploration is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Exploration), Exploration, "exploration must be in [0, 1)");
        if (!(KeepProbability is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), KeepProbability, "keep probability must be in (0, 1]");
    }
}
