using Dial.Learning.Online;
using Dial.Storage;

namespace Dial.Tests.Online;

public class SnapshotTests
{
    private static readonly RewardScale Scale = new(0.01, 1000);
    private static readonly ModelCard[] Arms = [SyntheticContexts.Card("a"), SyntheticContexts.Card("b"), SyntheticContexts.Card("c")];

    [Theory]
    [InlineData(LinUcbRouter.KindName, 0)]
    [InlineData(LinearThompsonRouter.KindName, 0)]
    [InlineData(EpsilonGreedyRouter.KindName, 0)]
    [InlineData(LinearThompsonRouter.KindName, 40)]
    public void RestoredLearnerMakesIdenticalDecisionsAndKeepsLearningIdentically(string kind, int window)
    {
        var contexts = new SyntheticContexts(120, seed: 61);
        var original = OnlineLearnerFactory.Create(kind, contexts.Features, Scale, new BanditOptions(Ridge: 0.5, Window: window, Seed: 7), exploration: 0.3);
        Play(original, contexts, new Random(1), 300);

        var restored = LinearBanditRouter.Restore(original.Snapshot(), contexts);
        Assert.Equal(original.Name, restored.Name);
        Assert.Equal(original.Exploration, restored.Exploration);
        // Both go on through the same requests and outcomes; every decision and every score must match exactly.
        var (a, b) = (Play(original, contexts, new Random(2), 300), Play(restored, contexts, new Random(2), 300));
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Model, b[i].Model);
            Assert.Equal(a[i].Candidates, b[i].Candidates);
        }
        Assert.Equal(original.ObservationCounts, restored.ObservationCounts);
    }

    [Fact]
    public void DamagedSnapshotsAreRefusedClearly()
    {
        var contexts = new SyntheticContexts(60, seed: 62);
        var learner = new LinUcbRouter(contexts.Features, Scale, new BanditOptions(), 0.3);
        Play(learner, contexts, new Random(3), 50);
        var bytes = learner.Snapshot();
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => LinearBanditRouter.Restore(bytes[..(bytes.Length - 9)], contexts)).Message);
        Assert.Contains("not a Dial bandit snapshot", Assert.Throws<InvalidDataException>(() => LinearBanditRouter.Restore([1, 2, 3, 4, 5], contexts)).Message);
        Assert.Contains("trailing bytes", Assert.Throws<InvalidDataException>(() => LinearBanditRouter.Restore([.. bytes, 0], contexts)).Message);
    }

    [Fact]
    public void SqliteStoreKeepsSnapshotsAcrossReopenInWalMode()
    {
        var folder = Directory.CreateTempSubdirectory("dial-online-");
        try
        {
            var path = Path.Combine(folder.FullName, "state.db");
            var contexts = new SyntheticContexts(60, seed: 63);
            var learner = new LinearThompsonRouter(contexts.Features, Scale, new BanditOptions(Seed: 4), 0.3);
            Play(learner, contexts, new Random(4), 100);
            var first = new SqliteLearnerStateStore(path);
            Assert.Equal("wal", first.JournalMode());
            first.Save("ts", learner.Snapshot());
            first.Save("other", [9, 9]);
            first.Save("other", [1, 2, 3]);
            Assert.Null(first.Load("missing"));

            var reopened = new SqliteLearnerStateStore(path);
            Assert.Equal(new byte[] { 1, 2, 3 }, reopened.Load("other"));
            var restored = LinearBanditRouter.Restore(reopened.Load("ts")!, contexts);
            var request = new RoutingRequest(contexts.Prompts[5], Preference.QualityOnly, Arms);
            Assert.Equal(learner.Route(request), restored.Route(request), DecisionComparer.Instance);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void SqliteStoreRefusesAFileThatIsNotADatabase()
    {
        var folder = Directory.CreateTempSubdirectory("dial-online-");
        try
        {
            var path = Path.Combine(folder.FullName, "not-a-db.db");
            File.WriteAllText(path, "this is a text file, long enough to have a header page of garbage ........................................");
            var error = Assert.Throws<InvalidDataException>(() => new SqliteLearnerStateStore(path));
            Assert.Contains(path, error.Message);
            Assert.Throws<DirectoryNotFoundException>(() => new SqliteLearnerStateStore(Path.Combine(folder.FullName, "nope", "state.db")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Routes and observes <paramref name="steps"/> requests with outcomes drawn from <paramref name="random"/>.</summary>
    private static List<RoutingDecision> Play(IOnlineLearner learner, SyntheticContexts contexts, Random random, int steps)
    {
        var decisions = new List<RoutingDecision>(steps);
        for (var t = 0; t < steps; t++)
        {
            var request = new RoutingRequest(contexts.Prompts[random.Next(contexts.Prompts.Count)], Preference.FromCostWeight(random.NextDouble() * 0.5), Arms);
            var decision = learner.Route(request);
            decisions.Add(decision);
            learner.Observe(request, decision.Model, new Outcome(random.NextDouble(), random.NextDouble() * 0.02));
        }
        return decisions;
    }

    private sealed class DecisionComparer : IEqualityComparer<RoutingDecision>
    {
        public static DecisionComparer Instance { get; } = new();

        public bool Equals(RoutingDecision? x, RoutingDecision? y) =>
            x is not null && y is not null && x.Model == y.Model && x.Candidates.SequenceEqual(y.Candidates);

        public int GetHashCode(RoutingDecision obj) => obj.Model.GetHashCode();
    }
}
