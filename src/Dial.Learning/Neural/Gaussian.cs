namespace Dial.Learning.Neural;

/// <summary>Standard normal draws from a seeded <see cref="Random"/>, so that everything seeded stays reproducible.</summary>
public static class Gaussian
{
    public static double Sample(Random random)
    {
        // Box–Muller; 1 - U keeps the logarithm's argument away from zero.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
