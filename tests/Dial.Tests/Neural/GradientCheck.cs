using Dial.Learning.Neural;

namespace Dial.Tests.Neural;

/// <summary>
/// Compares hand-derived gradients with central finite differences. Every network in Dial is checked with
/// this: a wrong backward pass still trains, just badly, so only a check like this catches it.
/// </summary>
public static class GradientCheck
{
    /// <param name="loss">Computes the loss at the current parameter values, without touching gradients.</param>
    /// <param name="backward">Zeroes and then fills the analytic gradients at the current values.</param>
    /// <param name="samplesPerParameter">Entries checked per parameter, chosen at random (all if the parameter is smaller).</param>
    public static void AssertGradientsMatch(
        IEnumerable<Parameter> parameters, Func<double> loss, Action backward, int samplesPerParameter = 20, double epsilon = 1e-3, double tolerance = 2e-2, int seed = 7)
    {
        var random = new Random(seed);
        var list = parameters.ToArray();
        backward();
        var analytic = list.Select(p => (float[])p.Gradient.Clone()).ToArray();
        var checkedEntries = 0;
        for (var k = 0; k < list.Length; k++)
        {
            var p = list[k];
            var indices = p.Value.Length <= samplesPerParameter
                ? Enumerable.Range(0, p.Value.Length)
                : Enumerable.Range(0, samplesPerParameter).Select(_ => random.Next(p.Value.Length));
            foreach (var i in indices)
            {
                var original = p.Value[i];
                p.Value[i] = original + (float)epsilon;
                var up = loss();
                p.Value[i] = original - (float)epsilon;
                var down = loss();
                p.Value[i] = original;
                var numeric = (up - down) / (2 * epsilon);
                var a = analytic[k][i];
                var scale = Math.Max(1e-2, Math.Max(Math.Abs(numeric), Math.Abs(a)));
                Assert.True(Math.Abs(numeric - a) / scale < tolerance,
                    $"gradient of {p.Name}[{i}]: analytic {a:G6}, finite difference {numeric:G6}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries > 0, "no gradient entries were checked");
    }
}
