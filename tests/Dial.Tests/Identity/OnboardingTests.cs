using Dial.Data;
using Dial.Learning.Identity;
using Dial.Learning.Neural;

namespace Dial.Tests.Identity;

public sealed class OnboardingTests
{
    /// <summary>Most prompts barely discriminate between models and a few discriminate strongly, as in real benchmarks.</summary>
    private static readonly Lazy<SyntheticIrtWorld> MixedWorld = new(() =>
        new SyntheticIrtWorld(prompts: 400, models: 16, dimension: 2, features: 6, seed: 21, promptStrength: p => p % 5 == 0 ? 2.5 : 0.15));

    private static double MeanSquaredIdentityError(IQuizSelector selector, int budget)
    {
        var world = MixedWorld.Value;
        var items = world.TrueItems();
        var errors = new List<double>();
        for (var k = 0; k < 16; k++)
            for (var seed = 1; seed <= 2; seed++)
            {
                var identity = Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), budget, selector, seed).Identity;
                errors.Add(identity.Mean.Zip(world.Theta[k], (a, b) => (double)(a - b) * (a - b)).Sum());
            }
        return errors.Average();
    }

    [Theory]
    [InlineData("v-optimal")]
    [InlineData("d-optimal")]
    [InlineData("representative-v-optimal")]
    [InlineData("stochastic-v-optimal")]
    [InlineData("stochastic-representative-v-optimal")]
    public void AdaptiveQuizzesBeatRandomOnesAtSmallBudgets(string selector)
    {
        foreach (var budget in new[] { 5, 10 })
        {
            var adaptive = MeanSquaredIdentityError(QuizSelectors.Parse(selector), budget);
            var random = MeanSquaredIdentityError(new RandomQuizSelector(), budget);
            Assert.True(adaptive < 0.8 * random, $"budget {budget}: {selector} error {adaptive:F3}, random {random:F3}");
        }
    }

    /// <summary>Mean over models and quiz seeds of the squared error of the model's predicted mean score over all prompts.</summary>
    private static double MeanSquaredStrengthError(IQuizSelector selector, int budget)
    {
        var world = MixedWorld.Value;
        var items = world.TrueItems();
        var pool = world.Table.Prompts.Select(p => items.ItemOfFeatures(world.Encoder.Encode(p.Text))).ToArray();
        var errors = new List<double>();
        for (var k = 0; k < 16; k++)
        {
            var truth = Enumerable.Range(0, world.Table.PromptCount).Average(p => world.Truth[p, k]);
            for (var seed = 1; seed <= 3; seed++)
            {
                var identity = Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), budget, selector, seed).Identity;
                var predicted = pool.Average(item => Activation.Sigmoid(item.Logit(identity.Mean)));
                errors.Add((predicted - truth) * (predicted - truth));
            }
        }
        return errors.Average();
    }

    [Theory]
    [InlineData("strength")]
    [InlineData("stochastic-strength")]
    public void StrengthQuizzesPredictAModelsMeanScoreBetterThanRandomOnes(string selector)
    {
        foreach (var budget in new[] { 5, 10 })
        {
            var strength = MeanSquaredStrengthError(QuizSelectors.Parse(selector), budget);
            var random = MeanSquaredStrengthError(new RandomQuizSelector(), budget);
            Assert.True(strength < random, $"budget {budget}: {selector} error {strength:F4}, random {random:F4}");
        }
    }

    [Fact]
    public void PosteriorShrinksAndQuizKeepsToItsBudget()
    {
        var world = MixedWorld.Value;
        var items = world.TrueItems();
        foreach (var selector in QuizSelectors.All)
        {
            var spreads = new List<double>();
            foreach (var budget in new[] { 3, 15, 60 })
            {
                var oracle = new RecordedQuizOracle(world.Table, "m2");
                var result = Onboarding.Run(items, oracle, budget, selector, seed: 4);
                Assert.Equal(budget, oracle.Asked);
                Assert.Equal(budget, result.Answers.Count);
                Assert.Equal(budget, result.Answers.Select(a => a.Question).Distinct().Count());
                Assert.Equal(budget, result.Identity.Evidence);
                spreads.Add(result.Identity.StdDev.Average());
            }
            Assert.True(spreads[0] > spreads[1] && spreads[1] > spreads[2], $"{selector.Name}: std-devs {string.Join(", ", spreads)}");
        }
    }

    [Fact]
    public void OnboardingIsDeterministicGivenTheSeed()
    {
        var world = MixedWorld.Value;
        var items = world.TrueItems();
        var random = new RandomQuizSelector();
        var a = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m1"), 8, random, seed: 3);
        var b = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m1"), 8, random, seed: 3);
        var c = Onboarding.Run(items, new RecordedQuizOracle(world.Table, "m1"), 8, random, seed: 4);
        Assert.Equal(a.Identity.Mean, b.Identity.Mean);
        Assert.Equal(a.Answers.Select(x => x.Question.Text), b.Answers.Select(x => x.Question.Text));
        Assert.NotEqual(a.Answers.Select(x => x.Question.Text), c.Answers.Select(x => x.Question.Text));
    }

    [Fact]
    public void VariationalIdentityAgreesWithTheLaplacePosteriorWhenAnswersAreMany()
    {
        // With many answers the posterior is nearly Gaussian, so the ELBO's optimum and the Laplace mode coincide;
        // a sign or scale error in the variational gradients would pull them apart.
        var world = MixedWorld.Value;
        var items = world.TrueItems();
        var oracle = new RecordedQuizOracle(world.Table, "m5");
        var answers = oracle.Questions.Take(300).Select(q => (items.ItemOf(q), oracle.Ask(q))).ToArray();
        var laplace = LaplacePosterior.Fit(answers, 2);
        var variational = Onboarding.FitIdentity("m5", answers, LaplacePosterior.Prior(2), new Random(1));
        for (var j = 0; j < 2; j++)
        {
            Assert.Equal(laplace.Mean[j], variational.Mean[j], 1);
            Assert.InRange(variational.StdDev[j], 0.5 * Math.Sqrt(laplace.Covariance[j, j]), 1.5 * Math.Sqrt(laplace.Covariance[j, j]));
        }
    }

    [Fact]
    public void LaplacePosteriorMatchesTheClosedFormForOneAnswer()
    {
        // One item a = (2, 0), b = 0, answered 1: the mode solves θ₁ = 2(1 − σ(2θ₁)), θ₂ stays at 0 with unit variance.
        var posterior = LaplacePosterior.Fit([(new Item([2f, 0f], 0f), 1.0)], 2);
        var t = posterior.Mean[0];
        Assert.Equal(2 * (1 - 1 / (1 + Math.Exp(-2 * t))), t, 6);
        Assert.Equal(0, posterior.Mean[1], 9);
        var p = 1 / (1 + Math.Exp(-2 * t));
        Assert.Equal(1 / (1 + 4 * p * (1 - p)), posterior.Covariance[0, 0], 6);
        Assert.Equal(1, posterior.Covariance[1, 1], 9);
    }

    [Fact]
    public void RejectsBadBudgetsUnknownModelsAndForeignQuestions()
    {
        var world = new SyntheticIrtWorld(prompts: 12, models: 2, dimension: 2, features: 3, seed: 2);
        var items = world.TrueItems();
        var oracle = new RecordedQuizOracle(world.Table, "m0");
        Assert.Throws<ArgumentOutOfRangeException>(() => Onboarding.Run(items, oracle, 0, new RandomQuizSelector(), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Onboarding.Run(items, oracle, 13, new RandomQuizSelector(), 1));
        Assert.Equal(0, oracle.Asked);
        Assert.Contains("no model named 'm9'", Assert.Throws<KeyNotFoundException>(() => new RecordedQuizOracle(world.Table, "m9")).Message);
        Assert.Throws<ArgumentException>(() => oracle.Ask(new Prompt("q0")));
        Assert.Throws<ArgumentException>(() => QuizSelectors.Parse("clever"));
        Assert.Throws<ArgumentException>(() => Onboarding.FitIdentity("m0", [], LaplacePosterior.Prior(2), new Random(1)));
    }
}
