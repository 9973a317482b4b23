using MathNet.Numerics.LinearAlgebra;

namespace Dial.Learning.Identity;

/// <summary>
/// The prior a new model is onboarded under: the Gaussian fitted to the known models' identity means, correlations
/// included, written as θ = m + L φ with φ ~ N(0, I) and L Lᵀ their covariance. Only the directions in which the
/// known models differ are kept, so φ has at most one coordinate fewer than there are models. Onboarding works in φ
/// (<see cref="ToLatent"/>) and reports θ (<see cref="FromLatent"/>).
/// </summary>
/// <remarks>
/// Standardising each dimension on its own (which <see cref="IrtModel"/> does) leaves the correlations in, so a
/// standard normal prior on θ misdescribes the population: on RouterBench's 7 held-in models at dimension 16 the
/// means span 6 directions, three of which carry 15.3 of the 16 units of variance. N(0, I) gave the direction the
/// models differ most in a variance of 1 where the population has 7.8, and 10 directions in which no known model
/// differs a variance of 1 each, so a quiz pulled a new model towards the middle along the one direction that
/// decides routing and spent its evidence on directions that predict nothing.
/// </remarks>
public sealed class PopulationPrior
{
    // Eigenvalues below this fraction of the largest are rounding noise of directions the means do not span.
    private const double RankTolerance = 1e-6;

    public PopulationPrior(float[] mean, float[,] factor)
    {
        if (factor.GetLength(0) != mean.Length || factor.GetLength(1) < 1)
            throw new ArgumentException($"population factor is {factor.GetLength(0)}x{factor.GetLength(1)}, expected {mean.Length} rows and at least one column");
        Mean = mean;
        Factor = factor;
    }

    /// <summary>m: the identity a model with no answers gets.</summary>
    public float[] Mean { get; }

    /// <summary>L, identity dimension × <see cref="Dimension"/>.</summary>
    public float[,] Factor { get; }

    /// <summary>The number of directions a new model's identity is estimated in.</summary>
    public int Dimension => Factor.GetLength(1);

    /// <summary>N(0, I): the prior when there is no population to fit.</summary>
    public static PopulationPrior Standard(int dimension)
    {
        var factor = new float[dimension, dimension];
        for (var j = 0; j < dimension; j++) factor[j, j] = 1;
        return new PopulationPrior(new float[dimension], factor);
    }

    /// <summary>
    /// The Gaussian of the given identity means: their mean and the eigen-factor of their covariance, widened by
    /// <see cref="Spread"/>. Fewer than two different means define no spread, and then the standard normal is kept.
    /// </summary>
    public static PopulationPrior Of(IReadOnlyList<float[]> means)
    {
        var fitted = Fit(means);
        if (fitted is null) return Standard(means[0].Length);
        var (mean, directions, variances) = fitted.Value;
        var spread = LeaveOneOutSpread(means);
        var d = mean.Length;
        var factor = new float[d, variances.Length];
        for (var j = 0; j < d; j++)
            for (var r = 0; r < variances.Length; r++)
                factor[j, r] = (float)(directions[j, r] * Math.Sqrt(variances[r]) * spread);
        return new PopulationPrior(mean.Select(v => (float)v).ToArray(), factor) { Spread = spread };
    }

    /// <summary>
    /// How much wider than the known models' covariance the prior is: c with c² the mean squared distance, per
    /// direction, of each known model from the Gaussian of the others (1 with fewer than three models).
    /// </summary>
    /// <remarks>
    /// The covariance of a handful of means says where those models are, not how far the next one will land: a model
    /// lies further from the Gaussian of n others than their covariance says. Leaving each known model out measures
    /// that on the models at hand. It gave c = 1.50 on RouterBench's 7 held-in models and 1.15 on AlpacaEval's 24
    /// (validation slices, docs/studies.md, session 11); under c = 1 a 20-prompt quiz left a held-out GPT-4 (mean
    /// score 0.88) predicted at 0.79, below the best known model, and it was hardly routed to. The measure is
    /// deliberately generous: it counts the sampling error of the others' covariance as distance (Hotelling's
    /// inflation), so a model like the known ones is shrunk a little less than their Gaussian would (on a synthetic
    /// population, tested: 3% more prediction error for such models, 15% less for models beyond every known one, at
    /// c = 1.16). New models are often the ones beyond: the study holds out the strongest, weakest, cheapest and
    /// dearest, and production onboards the next frontier model.
    /// </remarks>
    public double Spread { get; private init; } = 1;

    private static double LeaveOneOutSpread(IReadOnlyList<float[]> means)
    {
        if (means.Count < 3) return 1;
        double squared = 0, directions = 0;
        for (var k = 0; k < means.Count; k++)
        {
            if (Fit(means.Where((_, i) => i != k).ToArray()) is not var (mean, axes, variances)) continue;
            for (var r = 0; r < variances.Length; r++)
            {
                double along = 0;
                for (var j = 0; j < mean.Length; j++) along += axes[j, r] * (means[k][j] - mean[j]);
                squared += along * along / variances[r];
            }
            directions += variances.Length;
        }
        return directions > 0 && squared > 0 ? Math.Sqrt(squared / directions) : 1;
    }

    /// <summary>The means' mean, and the eigenvectors (columns, largest first) and eigenvalues of their covariance over the directions they span.</summary>
    private static (double[] Mean, double[,] Directions, double[] Variances)? Fit(IReadOnlyList<float[]> means)
    {
        var d = means[0].Length;
        if (means.Count < 2) return null;
        var rows = Matrix<double>.Build.Dense(means.Count, d, (k, j) => means[k][j]);
        var mean = rows.ColumnSums() / means.Count;
        var centred = rows - Matrix<double>.Build.Dense(means.Count, d, (_, j) => mean[j]);
        var evd = (centred.TransposeThisAndMultiply(centred) / (means.Count - 1)).Evd(Symmetricity.Symmetric);
        var variances = evd.EigenValues.Select(e => e.Real).ToArray();
        var largest = variances.Max();
        if (!(largest > 0)) return null;
        var kept = Enumerable.Range(0, d).Where(j => variances[j] > RankTolerance * largest).OrderByDescending(j => variances[j]).ToArray();
        var directions = new double[d, kept.Length];
        for (var j = 0; j < d; j++)
            for (var r = 0; r < kept.Length; r++) directions[j, r] = evd.EigenVectors[j, kept[r]];
        return (mean.ToArray(), directions, kept.Select(j => variances[j]).ToArray());
    }

    /// <summary>The item in φ: a_φ = Lᵀ a and b_φ = b − m·a, so its logit at φ equals the item's at θ = m + L φ.</summary>
    public Item ToLatent(Item item)
    {
        var a = new float[Dimension];
        var b = (double)item.B;
        for (var j = 0; j < Mean.Length; j++)
        {
            b -= (double)Mean[j] * item.A[j];
            for (var r = 0; r < Dimension; r++) a[r] += Factor[j, r] * item.A[j];
        }
        return new Item(a, (float)b);
    }

    /// <summary>
    /// The identity in θ of a posterior q(φ) = N(μ, diag σ²): mean m + L μ and the marginal standard deviations of
    /// L q(φ) (identities keep a diagonal posterior, so the correlations L introduces are dropped).
    /// </summary>
    public ModelIdentity FromLatent(ModelIdentity latent)
    {
        if (latent.Dimension != Dimension) throw new ArgumentException($"identity of '{latent.Model}' has {latent.Dimension} latent dimensions, the population {Dimension}");
        var mean = new float[Mean.Length];
        var stdDev = new float[Mean.Length];
        for (var j = 0; j < Mean.Length; j++)
        {
            double m = Mean[j], variance = 0;
            for (var r = 0; r < Dimension; r++)
            {
                m += Factor[j, r] * latent.Mean[r];
                variance += Math.Pow(Factor[j, r] * latent.StdDev[r], 2);
            }
            mean[j] = (float)m;
            stdDev[j] = (float)Math.Sqrt(variance);
        }
        return latent with { Mean = mean, StdDev = stdDev };
    }

    /// <summary>The identity of a model that answered nothing: the prior itself.</summary>
    public ModelIdentity Unquizzed(string model) =>
        FromLatent(new ModelIdentity(model, new float[Dimension], Enumerable.Repeat(1f, Dimension).ToArray(), 0));

    internal void Write(BinaryWriter w)
    {
        w.Write(Dimension);
        w.Write(Spread);
        foreach (var v in Mean) w.Write(v);
        foreach (var v in Factor) w.Write(v);
    }

    internal static PopulationPrior Read(BinaryReader r, int dimension, string path)
    {
        var latent = r.ReadInt32();
        if (latent < 1 || latent > dimension) throw new InvalidDataException($"{path}: population prior has {latent} directions for identities of dimension {dimension}");
        var spread = r.ReadDouble();
        if (!(spread > 0 && double.IsFinite(spread))) throw new InvalidDataException($"{path}: population prior spread {spread} is not a positive number");
        var mean = new float[dimension];
        for (var j = 0; j < dimension; j++) mean[j] = r.ReadSingle();
        var factor = new float[dimension, latent];
        for (var j = 0; j < dimension; j++)
            for (var k = 0; k < latent; k++) factor[j, k] = r.ReadSingle();
        return new PopulationPrior(mean, factor) { Spread = spread };
    }
}
