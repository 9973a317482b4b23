using Dial.Learning.Identity;
using Dial.Learning.Neural;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Tests.Identity;

public sealed class PopulationPriorTests
{
    [Fact]
    public void FactorReproducesThePopulationCovarianceWidenedByTheSpreadInTheDirectionsItSpans()
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
        var covariance = centred.TransposeThisAndMultiply(centred) / 3 * (prior.Spread * prior.Spread);
        var factor = Matrix<double>.Build.Dense(5, 3, (j, r) => prior.Factor[j, r]);
        Assert.True((factor * factor.Transpose() - covariance).InfinityNorm() < 1e-4, (factor * factor.Transpose() - covariance).ToString());

        Assert.Equal(2, PopulationPrior.Of([[1f, 2f], [1f, 2f]]).Dimension);
        Assert.Equal(1f, PopulationPrior.Of([[1f, 2f], [1f, 2f]]).Unquizzed("m").StdDev[0]);
        Assert.Equal(1, PopulationPrior.Of([[1f, 2f], [3f, 1f]]).Spread);
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
    public void OnboardingUnderTheFittedPopulationPredictsNewModelsOfACorrelatedPopulationBetter()
    {
        // 16 known models differ mostly along one diagonal direction, with a spread of about 2.8 there: the standard
        // normal prior is far too tight along it and too loose across it. 16 new models come from the same population
        // and 16 lie beyond every known one, 3 to 5 spreads out along it: new frontier models. What routing needs of
        // an identity is the model's predicted score on each prompt, so the error is that of those predictions.
        var random = new Random(8);
        float[] Along(double t) => [(float)(t + 0.2 * Gaussian.Sample(random)), (float)(t + 0.2 * Gaussian.Sample(random))];
        var known = Enumerable.Range(0, 16).Select(_ => Along(2 * Gaussian.Sample(random))).ToArray();
        var typical = Enumerable.Range(0, 16).Select(_ => Along(2 * Gaussian.Sample(random))).ToArray();
        var frontier = Enumerable.Range(0, 16).Select(k => Along((k % 2 == 0 ? 1 : -1) * (6 + 4 * random.NextDouble()))).ToArray();
        var world = new SyntheticIrtWorld(prompts: 300, models: 48, dimension: 2, features: 6, seed: 9, identities: [.. known, .. typical, .. frontier]);
        var population = PopulationPrior.Of(known);
        var unwidened = new PopulationPrior(population.Mean, Scaled(population.Factor, 1 / population.Spread));
        double Error(PopulationPrior? prior, int first)
        {
            var items = world.TrueItems(prior);
            var pool = world.Table.Prompts.Select(p => items.ItemOfFeatures(world.Encoder.Encode(p.Text))).ToArray();
            return Enumerable.Range(first, 16).Average(k =>
            {
                var identity = Onboarding.Run(items, new RecordedQuizOracle(world.Table, $"m{k}"), 20, new RandomQuizSelector(), seed: k + 1).Identity;
                return Enumerable.Range(0, pool.Length).Average(p => Math.Pow(pool[p].Probability(identity) - world.Truth[p, k], 2));
            });
        }
        var (standardTypical, unwidenedTypical, typicalError) = (Error(null, 16), Error(unwidened, 16), Error(population, 16));
        var (standardFrontier, unwidenedFrontier, frontierError) = (Error(null, 32), Error(unwidened, 32), Error(population, 32));
        // Measured (spread 1.16): typical 0.0126 under N(0, I), 0.0059 unwidened, 0.0061 widened; frontier 0.0472, 0.0154, 0.0131.
        Assert.True(typicalError < 0.85 * standardTypical, $"typical new models: squared error {typicalError:F4} under the population prior, {standardTypical:F4} under N(0, I)");
        Assert.True(frontierError < 0.85 * standardFrontier, $"frontier models: squared error {frontierError:F4} under the population prior, {standardFrontier:F4} under N(0, I)");
        Assert.True(population.Spread > 1, $"spread {population.Spread:F3}");
        Assert.True(frontierError < 0.9 * unwidenedFrontier, $"frontier models: squared error {frontierError:F4} widened {population.Spread:F2}x, {unwidenedFrontier:F4} unwidened");
        Assert.True(typicalError < 1.1 * unwidenedTypical, $"typical new models: squared error {typicalError:F4} widened {population.Spread:F2}x, {unwidenedTypical:F4} unwidened");
    }

    private static float[,] Scaled(float[,] factor, double by)
    {
        var scaled = (float[,])factor.Clone();
        for (var j = 0; j < factor.GetLength(0); j++)
            for (var r = 0; r < factor.GetLength(1); r++) scaled[j, r] = (float)(factor[j, r] * by);
        return scaled;
    }
}
