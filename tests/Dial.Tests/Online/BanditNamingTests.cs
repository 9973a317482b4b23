using Dial.Learning.Online;

namespace Dial.Tests.Online;

public class BanditNamingTests
{
    private static readonly RewardScale Scale = new(0.01, 1000);

    [Fact]
    public void GreedyLearnerIsNamedBanditRidgeNotEgreedyAndNotTheCatalogsRidge()
    {
        var features = new SyntheticContexts(50, seed: 3).Features;
        var greedy = new EpsilonGreedyRouter(features, Scale, new BanditOptions(Seed: 1), 0);
        var exploring = new EpsilonGreedyRouter(features, Scale, new BanditOptions(Seed: 1), 0.1);
        var windowed = new EpsilonGreedyRouter(features, Scale, new BanditOptions(Window: 20, Seed: 1), 0);

        Assert.Equal("bandit-ridge", greedy.Name);
        Assert.Equal("egreedy", exploring.Name);
        Assert.Equal("bandit-ridge-w20", windowed.Name);
        // The snapshot keeps the kind, so a greedy learner still restores as epsilon-greedy.
        Assert.Equal(EpsilonGreedyRouter.KindName, greedy.Kind);
    }

    [Fact]
    public void OfflineTrainerNamesMatchTheRoutersTheyBuild()
    {
        Assert.Equal("bandit-ridge", new OfflineRidgeTrainer().Name);
        Assert.Equal("linucb-warm", new OfflineRidgeTrainer(LinUcbRouter.KindName, 0.5).Name);
        Assert.NotEqual(new Dial.Learning.Baselines.RidgeRouterTrainer().Name, new OfflineRidgeTrainer().Name);
    }
}
