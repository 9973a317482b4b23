using Dial.Learning.Online;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Tests.Online;

public class ArmEstimateTests
{
    private const int D = 12;
    private const double Ridge = 0.7;

    [Fact]
    public void ShermanMorrisonInverseEqualsTheDirectInverseAfterManyUpdates()
    {
        var random = new Random(3);
        var estimate = ArmEstimate.Prior(D, Ridge);
        var a = Matrix<double>.Build.DenseIdentity(D) * Ridge;
        var bq = Vector<double>.Build.Dense(D);
        for (var n = 0; n < 2000; n++)
        {
            var x = RandomContext(random);
            var (q, c) = (random.NextDouble(), random.NextDouble() * 3);
            estimate.Update(x, q, c, +1);
            var v = Vector<double>.Build.DenseOfArray(x);
            a += v.OuterProduct(v);
            bq += v * q;
        }
        estimate.RefreshWeights();

        AssertClose(a.Inverse(), estimate.Inverse, 1e-9);
        var expected = a.Solve(bq);
        for (var i = 0; i < D; i++) Assert.Equal(expected[i], estimate.QualityWeights[i], 1e-9);
        Assert.Equal(2000, estimate.Observations);
    }

    [Fact]
    public void RemovingObservationsLeavesTheInverseOfTheRemainingOnes()
    {
        var random = new Random(4);
        var estimate = ArmEstimate.Prior(D, Ridge);
        var kept = new Queue<double[]>();
        const int window = 50;
        for (var n = 0; n < 1500; n++)
        {
            var x = RandomContext(random);
            estimate.Update(x, random.NextDouble(), random.NextDouble(), +1);
            kept.Enqueue(x);
            if (kept.Count > window) estimate.Update(kept.Dequeue(), 0, 0, -1);
        }
        estimate.RefreshWeights();

        var a = Matrix<double>.Build.DenseIdentity(D) * Ridge;
        foreach (var x in kept) a += Vector<double>.Build.DenseOfArray(x).OuterProduct(Vector<double>.Build.DenseOfArray(x));
        AssertClose(a.Inverse(), estimate.Inverse, 1e-8);
        Assert.Equal(window, estimate.Observations);
    }

    [Fact]
    public void PredictionWidthShrinksWithEvidence()
    {
        var random = new Random(5);
        var estimate = ArmEstimate.Prior(D, Ridge);
        var probe = RandomContext(random);
        var before = estimate.Predict(probe).Width;
        for (var n = 0; n < 200; n++) estimate.Update(RandomContext(random), 0.5, 0.1, +1);
        Assert.True(estimate.Predict(probe).Width < before / 3);
    }

    private static double[] RandomContext(Random random)
    {
        var x = new double[D];
        x[0] = 1;
        for (var i = 1; i < D; i++) x[i] = SyntheticContexts.Gaussian(random);
        return x;
    }

    private static void AssertClose(Matrix<double> expected, double[] actual, double tolerance)
    {
        for (var i = 0; i < D; i++)
            for (var j = 0; j < D; j++)
                Assert.True(Math.Abs(expected[i, j] - actual[i * D + j]) < tolerance,
                    $"inverse[{i},{j}]: expected {expected[i, j]}, got {actual[i * D + j]}");
    }
}
