using Dial.Learning.Identity;
using Dial.Learning.Neural;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Tests.Identity;

public sealed class PopulationPriorTests
{
    [Fact]
    public void FactorReproducesThePopulationCovarianceInTheDirectionsItSpans()
    {
        // Four models span three directions of a 5-d identity space.
        var random = new Random(5);
        var means = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 5).Select(_ => 1 + 2 * (float)Gaussian.Sample(random)).ToArray()).ToArray();
        var prior = PopulationPrior.Of(means);
        Assert.Equal(3, prior.Dimension);
        var rows = Matrix<double>.Build.Dense(4, 5, (k, j) => means[k][j]);
        var mean = rows.ColumnSums() / 4;
        for (var j = 0; j < 5; j++) Assert.Equal(mean[j], prior.Mean[j], 5);
        var centred = rows - Matrix<double>.Build.Dense(4, 5, (_, j) => mean[j]);
        var covariance = centred.TransposeThisAndMultiply(centred) / 3;
        var factor = Matrix<double>.Build.Dense(5, 3, (j, r) => prior.Factor[j, r]);
        Assert.True((factor * factor.Transpose() - covariance).InfinityNorm() < 1e-4, (factor * factor.Transpose() - covariance).ToString());

        Assert.Equal(2, PopulationPrior.Of([[1f, 2f], [1f, 2f]]).Dimension);
        Assert.Equal(1f, PopulationPrior.Of([[1f, 2f], [1f, 2f]]).Unquizzed("m").StdDev[0]);
    }

    [Fact]
    public void LatentItemsAndIdentitiesGiveTheLogitsOfTheIdentitySpace()
    {
        var random = new Random(6);
        var means = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)Gaussian.Sample(random)).ToArray()).ToArray();
        var prior = PopulationPrior.Of(means);
        var item = new Item(Enumerable.Range(0, 4).Select(_ => (float)Gaussian.Sample(random)).ToArray(), 0.7f);
        var phi = Enumerable.Range(0, prior.Dimension).Select(_ => (float)Gaussian.Sample(random)).ToArray();
        var theta = prior.FromLatent(new ModelIdentity("m", phi, Enumerable.Repeat(1e-3f, prior.Dimension).ToArray(), 1));
        Assert.Equal(item.Logit(theta.Mean), prior.ToLatent(item).Logit(phi), 4);
        // The known models' means lie in the prior's span, so each has a latent identity that reproduces it.
        var known = Matrix<double>.Build.Dense(4, prior.Dimension, (j, r) => prior.Factor[j, r]);
        var offset = Vector<double>.Build.Dense(4, j => means[1][j] - prior.Mean[j]);
        var back = known * known.Solve(offset);
        Assert.True((back - offset).InfinityNorm() < 1e-4, $"{back} vs {offset}");
    }

    [Fact]
    public void OnboardingUnderTheFittedPopulationRecoversModelsOfACorrelatedPopulationBetter()
    {
        // Models differ mostly along one diagonal direction, with a spread of about 2.8 there: the standard normal prior
        // is far too tight along it and too loose across it.
        var random = new Random(8);
        var identities = Enumerable.Range(0, 16).Select(_ =>
        {
            var t = 2 * (float)Gaussian.Sample(random);
            return new[] { t + 0.2f * (float)Gaussian.Sample(random), t + 0.2f * (float)Gaussian.Sample(random) };
        }).ToArray();
        var world = new SyntheticIrtWorld(prompts: 300, models: 16, dimension: 2, features: 6, seed: 9, identities: identities);
        double Error(PromptItemModel items) => Enumerable.Range(0, 16).Average(k =>
        {
            var onboarded = Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), 10, new RandomQuizSelector(), seed: k + 1).Identity;
            return onboarded.Mean.Zip(identities[k], (a, b) => (double)(a - b) * (a - b)).Sum();
        });
        var standard = Error(world.TrueItems());
        var population = Error(world.TrueItems(PopulationPrior.Of(identities)));
        Assert.True(population < 0.85 * standard, $"squared identity error {population:F3} under the population prior, {standard:F3} under N(0, I)");
    }
}
