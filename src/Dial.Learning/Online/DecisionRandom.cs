namespace Dial.Learning.Online;

/// <summary>
/// The random numbers of one routing decision, drawn from (seed, decision number) by SplitMix64. Routing
/// calls run concurrently, so they cannot share one <see cref="Random"/>; deriving each decision's stream from
/// its number keeps a learner reproducible (and a restored snapshot decides exactly as the original) without
/// any lock on the read path.
/// </summary>
internal struct DecisionRandom(int seed, long decision)
{
    private ulong _state = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)decision * 0xD1B54A32D192ED03UL;

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal, by Box–Muller.</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Two independent standard normals from one Box–Muller transform (both of its outputs).</summary>
    public (double, double) NextGaussianPair()
    {
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextDouble()));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * NextDouble());
        return (radius * cos, radius * sin);
    }

    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);

    private ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
