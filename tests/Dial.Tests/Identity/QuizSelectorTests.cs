using Dial.Learning.Identity;

namespace Dial.Tests.Identity;

public sealed class QuizSelectorTests
{
    /// <summary>Twenty similar prompts and one with twice their discrimination, far from the rest in item space.</summary>
    private static Item[] PoolWithAnOutlier()
    {
        var pool = Enumerable.Range(0, 20).Select(i => new Item([1f + 0.01f * i, 0.5f - 0.01f * i], 0.1f * (i % 3))).ToList();
        pool.Add(new Item([2.5f, 1.5f], 0f));
        return [.. pool];
    }

    private static SyntheticIrtWorld SmallWorld() => new SyntheticIrtWorld(prompts: 150, models: 4, dimension: 2, features: 4, seed: 5);

    [Fact]
    public void RepresentativeVOptimalPrefersATypicalQuestionToAMoreInformativeOutlier()
    {
        var pool = PoolWithAnOutlier();
        var asked = new bool[pool.Length];
        var prior = LaplacePosterior.Prior(2);
        Assert.Equal(pool.Length - 1, new VOptimalQuizSelector().Next(pool, asked, prior, new Random(1)));
        Assert.NotEqual(pool.Length - 1, new RepresentativeVOptimalQuizSelector().Next(pool, asked, prior, new Random(1)));
    }

    [Fact]
    public void RepresentativeVOptimalQuizzesFollowTheAnswers()
    {
        // The weight is fixed by the pool; were it to swamp the variance reduction, every model would get one quiz.
        var world = SmallWorld();
        var items = world.TrueItems();
        var quizzes = Enumerable.Range(0, 4)
            .Select(k => Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), 15, new RepresentativeVOptimalQuizSelector(), seed: 1))
            .Select(r => string.Join(",", r.Answers.Select(a => a.Question.Text)))
            .ToArray();
        Assert.True(quizzes.Distinct().Count() > 1, "every model got the same quiz");
    }

    [Fact]
    public void RepresentativeVOptimalQuizzesAreDistinctAndDoNotDependOnTheSeed()
    {
        var world = SmallWorld();
        var items = world.TrueItems();
        var selector = new RepresentativeVOptimalQuizSelector();
        var a = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m0"), 30, selector, seed: 1);
        var b = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m0"), 30, selector, seed: 2);
        Assert.Equal(30, a.Answers.Select(x => x.Question.Text).Distinct().Count());
        Assert.Equal(a.Answers.Select(x => x.Question.Text), b.Answers.Select(x => x.Question.Text));
    }
}
