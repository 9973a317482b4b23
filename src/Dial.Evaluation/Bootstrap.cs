using System.Numerics.Tensors;

namespace Dial.Evaluation;

/// <summary>
/// Percentile bootstrap over test prompts. The resamples are drawn once, as per-prompt multiplicities, and
/// shared by every point, so all points' intervals come from the same resampled test sets and a mean over one
/// resample is a single dot product.
/// </summary>
public sealed class Bootstrap
{
    private readonly float[][] _counts;
    private readonly int _prompts;

    public Bootstrap(int prompts, int samples, int seed)
    {
        if (prompts < 1) throw new ArgumentOutOfRangeException(nameof(prompts), prompts, "bootstrap needs at least one prompt");
        if (samples < 2) throw new ArgumentOutOfRangeException(nameof(samples), samples, "bootstrap needs at least two resamples");
        _prompts = prompts;
        var random = new Random(seed);
        _counts = new float[samples][];
        for (var s = 0; s < samples; s++)
        {
            var counts = _counts[s] = new float[prompts];
            for (var i = 0; i < prompts; i++) counts[random.Next(prompts)]++;
        }
    }

    /// <summary>The 2.5th and 97.5th percentiles of the resampled means of <paramref name="values"/> (one per prompt).</summary>
    public Interval Interval95(ReadOnlySpan<float> values)
    {
        if (values.Length != _prompts) throw new ArgumentException($"expected {_prompts} values, one per prompt, got {values.Length}", nameof(values));
        var means = new double[_counts.Length];
        for (var s = 0; s < means.Length; s++) means[s] = TensorPrimitives.Dot(_counts[s], values) / _prompts;
        return Interval95Of(means);
    }

    public int Samples => _counts.Length;

    /// <summary>Resample <paramref name="sample"/>: how many times each test prompt was drawn into it.</summary>
    public ReadOnlySpan<float> Counts(int sample) => _counts[sample];

    /// <summary>The 2.5th and 97.5th percentiles of one statistic's resampled values (sorted in place).</summary>
    public static Interval Interval95Of(double[] values)
    {
        Array.Sort(values);
        return new Interval(Percentile(values, 0.025), Percentile(values, 0.975));
    }

    /// <summary>Linear interpolation between order statistics.</summary>
    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
