namespace Dial.Learning.Online;

/// <summary>
/// One model's ridge regressions of quality and of normalised cost on the context vector, kept as the inverse
/// of A = lambda I + sum x x^T (shared by both targets, since they are observed on the same contexts) and the
/// targets b = sum y x. Each observation changes A by a rank-one term, so the inverse follows by
/// Sherman–Morrison in O(d^2); removing an observation (the sliding window) is the same formula with the
/// sign flipped, and is exact because the ridge term keeps A - x x^T positive definite.
/// <para>
/// Published estimates are never changed: the writer clones, applies its updates and then publishes the clone,
/// so routing threads read a consistent estimate without locks.
/// </para>
/// </summary>
internal sealed class ArmEstimate
{
    private ArmEstimate(int dimension, double[] inverse, double[] qualityTarget, double[] costTarget, long observations)
    {
        Dimension = dimension;
        Inverse = inverse;
        QualityTarget = qualityTarget;
        CostTarget = costTarget;
        Observations = observations;
        QualityWeights = new double[dimension];
        CostWeights = new double[dimension];
        RefreshWeights();
    }

    public int Dimension { get; }

    /// <summary>A^-1, row-major.</summary>
    public double[] Inverse { get; }

    public double[] QualityTarget { get; }

    public double[] CostTarget { get; }

    /// <summary>A^-1 b for quality: the ridge estimate.</summary>
    public double[] QualityWeights { get; }

    public double[] CostWeights { get; }

    /// <summary>Observations currently in the estimate (after the window dropped old ones).</summary>
    public long Observations { get; private set; }

    public static ArmEstimate Prior(int dimension, double ridge)
    {
        if (!(ridge > 0 && double.IsFinite(ridge))) throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "ridge must be positive");
        var inverse = new double[dimension * dimension];
        for (var i = 0; i < dimension; i++) inverse[i * dimension + i] = 1.0 / ridge;
        return new ArmEstimate(dimension, inverse, new double[dimension], new double[dimension], 0);
    }

    /// <summary>An estimate from stored parts (a snapshot); the weights are recomputed exactly as after an update.</summary>
    public static ArmEstimate FromParts(int dimension, double[] inverse, double[] qualityTarget, double[] costTarget, long observations)
    {
        if (inverse.Length != dimension * dimension || qualityTarget.Length != dimension || costTarget.Length != dimension)
            throw new ArgumentException($"arm estimate parts do not match dimension {dimension}");
        return new ArmEstimate(dimension, inverse, qualityTarget, costTarget, observations);
    }

    public ArmEstimate Clone() =>
        new(Dimension, (double[])Inverse.Clone(), (double[])QualityTarget.Clone(), (double[])CostTarget.Clone(), Observations);

    /// <summary>Adds (<paramref name="sign"/> = 1) or removes (-1) one observation. Call <see cref="RefreshWeights"/> after the last one.</summary>
    public void Update(ReadOnlySpan<double> x, double quality, double cost, int sign)
    {
        var d = Dimension;
        Span<double> u = stackalloc double[d];
        MultiplyInverse(x, u);
        double xu = 0;
        for (var i = 0; i < d; i++) xu += x[i] * u[i];
        var denominator = 1 + sign * xu;
        if (!(denominator > 1e-12))
            throw new InvalidOperationException("removing an observation the estimate does not hold (the window and the estimate disagree)");
        var f = sign / denominator;
        for (var i = 0; i < d; i++)
        {
            var row = Inverse.AsSpan(i * d, d);
            var fi = f * u[i];
            for (var j = 0; j < d; j++) row[j] -= fi * u[j];
        }
        for (var i = 0; i < d; i++)
        {
            QualityTarget[i] += sign * quality * x[i];
            CostTarget[i] += sign * cost * x[i];
        }
        Observations += sign;
    }

    public void RefreshWeights()
    {
        MultiplyInverse(QualityTarget, QualityWeights);
        MultiplyInverse(CostTarget, CostWeights);
    }

    /// <summary>Predicted quality and normalised cost, and sqrt(x^T A^-1 x): the width of both predictions per unit of noise.</summary>
    public (double Quality, double Cost, double Width) Predict(ReadOnlySpan<double> x)
    {
        var d = Dimension;
        double quality = 0, cost = 0, variance = 0;
        for (var i = 0; i < d; i++)
        {
            quality += QualityWeights[i] * x[i];
            cost += CostWeights[i] * x[i];
            var row = Inverse.AsSpan(i * d, d);
            double ri = 0;
            for (var j = 0; j < d; j++) ri += row[j] * x[j];
            variance += x[i] * ri;
        }
        return (quality, cost, Math.Sqrt(Math.Max(variance, 0)));
    }

    private void MultiplyInverse(ReadOnlySpan<double> v, Span<double> result)
    {
        var d = Dimension;
        for (var i = 0; i < d; i++)
        {
            var row = Inverse.AsSpan(i * d, d);
            double s = 0;
            for (var j = 0; j < d; j++) s += row[j] * v[j];
            result[i] = s;
        }
    }
}
