using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Policy;

namespace Dial.Tests.Policy;

/// <summary>A small policy trained once on a slice of RouterBench's train split, shared by the behaviour tests.</summary>
public sealed class TrainedPolicyFixture
{
    public static readonly PolicyOptions SmallOptions = new() { Epochs = 4, WarmStartEpochs = 2, Hidden = 16, EmbeddingDimension = 4, EnsembleSize = 1, FeatureDimension = null };

    public TrainedPolicyFixture()
    {
        var train = BundledData.RouterBench.Where(Split.Train);
        Train = train.SelectPrompts(Enumerable.Range(0, 600));
        Test = BundledData.RouterBench.Where(Split.Test).SelectPrompts(Enumerable.Range(0, 120));
        Context = new TrainingContext(Train, HashedTfidfEncoder.Fit(Train.Prompts.Select(p => p.Text), 256), RewardScaleCalibration.Calibrate(Train), Seed: 5);
        Policy = new DialPolicyTrainer(Feedback.Bandit, SmallOptions).TrainPolicy(Context);
        Prompts = Test.Prompts.Select(p => new Prompt(p.Text)).ToArray();
        _ensemble = new Lazy<DialEnsemble>(() => new DialPolicyTrainer(Feedback.Bandit, SmallOptions with { EnsembleSize = 2 }).TrainEnsemble(Context));
    }

    private readonly Lazy<DialEnsemble> _ensemble;

    /// <summary>Two members from the same options (member 0 is <see cref="Policy"/>), trained on first use.</summary>
    public DialEnsemble Ensemble => _ensemble.Value;

    public RoutingTable Train { get; }

    public RoutingTable Test { get; }

    public TrainingContext Context { get; }

    public DialPolicy Policy { get; }

    public Prompt[] Prompts { get; }

    public IReadOnlyList<ModelCard> Models => Train.Models;
}
