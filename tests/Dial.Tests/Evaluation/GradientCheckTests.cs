using Dial.Learning.Baselines;

namespace Dial.Tests.Evaluation;

public sealed class GradientCheckTests
{
    [Fact]
    public void MlpGradientMatchesFiniteDifferences() =>
        CheckGradient(random => new MlpScoreNetwork(inputs: 6, hidden: 5, models: 3, random));

    [Fact]
    public void FactorisationGradientMatchesFiniteDifferences() =>
        CheckGradient(random => new FactorisationScoreNetwork(inputs: 6, dimension: 4, models: 3, random));

    private static void CheckGradient(Func<Random, IScoreNetwork> create)
    {
        var random = new Random(11);
        var network = create(random);
        // Non-zero biases, so their gradients are checked away from the symmetric start.
        foreach (var parameter in network.Parameters)
            for (var i = 0; i < parameter.Value.Length; i++) parameter.Value[i] += (float)(random.NextDouble() - 0.5) * 0.2f;
        var features = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        double[][] targets =
        [
            [1, 0, 0.3], [0, double.NaN, 1], [0.5, 1, 0], [double.NaN, double.NaN, 0.8], [1, 1, double.NaN],
        ];
        int[] prompts = [0, 1, 2, 3, 4];
        const float l2 = 0.05f;
        ScoreNetworkFit.Loss(network, features, targets, prompts, l2, withGradient: true);

        const float step = 1e-2f;
        foreach (var parameter in network.Parameters)
        {
            var gradient = (float[])parameter.Gradient.Clone();
            for (var i = 0; i < parameter.Value.Length; i++)
            {
                var original = parameter.Value[i];
                parameter.Value[i] = original + step;
                var up = ScoreNetworkFit.Loss(network, features, targets, prompts, l2, withGradient: false);
                parameter.Value[i] = original - step;
                var down = ScoreNetworkFit.Loss(network, features, targets, prompts, l2, withGradient: false);
                parameter.Value[i] = original;
                var numeric = (up - down) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-4 + 1e-2 * Math.Abs(numeric),
                    $"{parameter.Name}[{i}]: analytic {gradient[i]}, finite difference {numeric}");
            }
        }
    }
}
