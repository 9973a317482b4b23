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
        Assert.NotEqual(pool.Length - 1, new VOptimalQuizSelector(representative: true).Next(pool, asked, prior, new Random(1)));
    }

    [Fact]
    public void RepresentativeVOptimalQuizzesFollowTheAnswers()
    {
        // The weight is fixed by the pool; were it to swamp the variance reduction, every model would get one quiz.
        var world = SmallWorld();
        var items = world.TrueItems();
        var quizzes = Enumerable.Range(0, 4)
            .Select(k => Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), 15, new VOptimalQuizSelector(representative: true), seed: 1))
            .Select(r => string.Join(",", r.Answers.Select(a => a.Question.Text)))
            .ToArray();
        Assert.True(quizzes.Distinct().Count() > 1, "every model got the same quiz");
    }

    [Fact]
    public void RepresentativeVOptimalQuizzesAreDistinctAndDoNotDependOnTheSeed()
    {
        var world = SmallWorld();
        var items = world.TrueItems();
        var selector = new VOptimalQuizSelector(representative: true);
        var a = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m0"), 30, selector, seed: 1);
        var b = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m0"), 30, selector, seed: 2);
        Assert.Equal(30, a.Answers.Select(x => x.Question.Text).Distinct().Count());
        Assert.Equal(a.Answers.Select(x => x.Question.Text), b.Answers.Select(x => x.Question.Text));
    }

    [Fact]
    public void StochasticGreedyPicksAmongTheMostInformativeQuestionsAndVariesWithTheSeed()
    {
        // Discrimination rises with the index, so v-optimal's gain does too: plain greedy always takes the last one.
        var pool = Enumerable.Range(0, 200).Select(i => new Item([0.01f * (i + 1), 0f], 0f)).ToArray();
        var asked = new bool[pool.Length];
        var prior = LaplacePosterior.Prior(2);
        var selector = new StochasticGreedyQuizSelector(new VOptimalQuizSelector());
        var firsts = Enumerable.Range(0, 50).Select(seed => selector.Next(pool, asked, prior, new Random(seed))).ToArray();
        Assert.All(firsts, i => Assert.True(i >= pool.Length / 2, $"picked question {i}, in the less informative half"));
        Assert.True(firsts.Average() > 0.9 * pool.Length, $"mean pick {firsts.Average()}");
        Assert.True(firsts.Distinct().Count() > 5, "the sample did not vary with the seed");
    }

    [Fact]
    public void StochasticGreedyQuizzesAreDistinctReproducibleBySeedAndDifferAcrossSeeds()
    {
        var world = SmallWorld();
        var items = world.TrueItems();
        var selector = QuizSelectors.Parse("stochastic-representative-v-optimal");
        string[] Quiz(int seed, int budget) =>
            [.. Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m0"), budget, selector, seed).Answers.Select(x => x.Question.Text)];
        var pool = new RecordedQuizOracle(world.Table, "m0").Questions.Count;
        Assert.Equal(Quiz(1, 30), Quiz(1, 30));
        Assert.NotEqual(Quiz(1, 30), Quiz(2, 30));
        // Asking the whole pool exhausts it without a repeat, down to samples of one open question.
        Assert.Equal(pool, Quiz(3, pool).Distinct().Count());
    }
}
