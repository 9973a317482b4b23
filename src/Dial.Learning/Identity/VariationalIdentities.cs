using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// The variational posteriors q(θ_k) = N(μ_k, diag σ_k²) of several models' identities, as trainable μ and
/// log σ (log σ keeps σ positive without a constraint). Draws use the reparameterisation θ = μ + σ ⊙ ε, so
/// the ELBO's gradient flows into μ and log σ through the sample.
/// </summary>
internal sealed class VariationalIdentities
{
    public VariationalIdentities(int models, int dimension, Random random, float initialMeanStd, float initialStd)
    {
        Mean = new Parameter("identity.mean", models, dimension).InitNormal(random, initialMeanStd);
        LogStd = new Parameter("identity.log_std", models, dimension);
        Array.Fill(LogStd.Value, MathF.Log(initialStd));
    }

    public Parameter Mean { get; }

    public Parameter LogStd { get; }

    public int Models => Mean.Rows;

    public int Dimension => Mean.Cols;

    public IReadOnlyCollection<Parameter> Parameters => [Mean, LogStd];

    /// <summary>Fills <paramref name="epsilon"/> with fresh standard normal noise and <paramref name="theta"/> with μ + σ ⊙ ε (both models × dimension).</summary>
    public void Sample(Random random, float[] epsilon, float[] theta)
    {
        for (var i = 0; i < epsilon.Length; i++) epsilon[i] = (float)Gaussian.Sample(random);
        Reparameterise(epsilon, theta);
    }

    public void Reparameterise(ReadOnlySpan<float> epsilon, Span<float> theta)
    {
        for (var i = 0; i < theta.Length; i++) theta[i] = Mean.Value[i] + MathF.Exp(LogStd.Value[i]) * epsilon[i];
    }

    /// <summary>Σ_k KL(q(θ_k) ‖ N(0, I)), in closed form: ½ Σ (σ² + μ² − 1 − 2 log σ).</summary>
    public double KlDivergence()
    {
        double kl = 0;
        for (var i = 0; i < Mean.Value.Length; i++)
        {
            double mu = Mean.Value[i], logStd = LogStd.Value[i];
            kl += 0.5 * (Math.Exp(2 * logStd) + mu * mu - 1 - 2 * logStd);
        }
        return kl;
    }

    /// <summary>Adds <paramref name="scale"/> × the KL's gradient: μ for the mean, σ² − 1 for log σ.</summary>
    public void AddKlGradient(float scale)
    {
        for (var i = 0; i < Mean.Value.Length; i++)
        {
            Mean.Gradient[i] += scale * Mean.Value[i];
            LogStd.Gradient[i] += scale * (MathF.Exp(2 * LogStd.Value[i]) - 1);
        }
    }

    /// <summary>Chains dL/dθ of a draw into μ and log σ: dθ/dμ = 1, dθ/d log σ = σ ε.</summary>
    public void AddThetaGradient(ReadOnlySpan<float> epsilon, ReadOnlySpan<float> gradTheta)
    {
        for (var i = 0; i < gradTheta.Length; i++)
        {
            Mean.Gradient[i] += gradTheta[i];
            LogStd.Gradient[i] += gradTheta[i] * epsilon[i] * MathF.Exp(LogStd.Value[i]);
        }
    }

    /// <summary>
    /// Moves the identities so that their means have zero mean and unit spread per dimension across models, and
    /// returns the shift and scale for <see cref="ItemNetwork.ShiftAndScaleIdentitySpace"/>. The likelihood only
    /// fixes θ·a(x), so the fit may settle at any scale (weight decay on the network pushes θ to grow); after
    /// this, identities reach the policy on a fixed scale. The prior a new model is onboarded under also needs the
    /// population's correlations, which this leaves in: <see cref="PopulationPrior"/>.
    /// </summary>
    public (float[] Shift, float[] Scale) Standardise()
    {
        var shift = new float[Dimension];
        var scale = new float[Dimension];
        for (var j = 0; j < Dimension; j++)
        {
            double mean = 0, square = 0;
            for (var k = 0; k < Models; k++) mean += Mean.Row(k)[j];
            mean /= Models;
            for (var k = 0; k < Models; k++) square += Math.Pow(Mean.Row(k)[j] - mean, 2);
            var spread = Models > 1 ? Math.Sqrt(square / (Models - 1)) : 1;
            shift[j] = (float)mean;
            scale[j] = (float)Math.Max(spread, 1e-3);
            for (var k = 0; k < Models; k++)
            {
                Mean.Row(k)[j] = (Mean.Row(k)[j] - shift[j]) / scale[j];
                LogStd.Row(k)[j] -= MathF.Log(scale[j]);
            }
        }
        return (shift, scale);
    }

    public ModelIdentity Identity(int model, string name, int evidence) =>
        new(name, Mean.Row(model).ToArray(), LogStd.Row(model).ToArray().Select(MathF.Exp).ToArray(), evidence);
}

/// <summary>Bernoulli cross-entropy on a logit with a soft target in [0, 1].</summary>
internal static class SoftLabel
{
    /// <summary>−[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, written so large |z| neither overflows nor cancels.</summary>
    public static double Loss(double logit, double target) =>
        Math.Max(logit, 0) + Math.Log(1 + Math.Exp(-Math.Abs(logit))) - target * logit;

    /// <summary>d loss / d logit.</summary>
    public static double Gradient(double logit, double target) => Activation.Sigmoid(logit) - target;

    /// <summary>The log-likelihood of a soft target under a probability, clamped so a confident miss costs a finite amount.</summary>
    public static double LogLikelihood(double probability, double target)
    {
        var p = Math.Clamp(probability, 1e-7, 1 - 1e-7);
        return target * Math.Log(p) + (1 - target) * Math.Log(1 - p);
    }
}
