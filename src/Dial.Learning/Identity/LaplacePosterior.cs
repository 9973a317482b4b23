using Dial.Learning.Neural;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Learning.Identity;

/// <summary>
/// A Gaussian (Laplace) approximation of one model's identity posterior from its answers to frozen items,
/// under the standard normal prior: the mode by Newton's method and the covariance as the inverse Hessian
/// H = I + Σ σ'(z_i) a_i a_iᵀ. It keeps full covariance, which the quiz selector needs to see what a
/// further question would still teach.
/// </summary>
public sealed class LaplacePosterior
{
    private const int MaxNewtonSteps = 50;

    private readonly Lazy<double[,]> _covariance;
    private readonly Lazy<double[]> _mean;

    private LaplacePosterior(Vector<double> mean, Matrix<double> covariance)
    {
        Mean = mean;
        Covariance = covariance;
        _covariance = new Lazy<double[,]>(covariance.ToArray);
        _mean = new Lazy<double[]>(mean.ToArray);
    }

    public Vector<double> Mean { get; }

    public Matrix<double> Covariance { get; }

    public int Dimension => Mean.Count;

    public static LaplacePosterior Prior(int dimension) =>
        new(Vector<double>.Build.Dense(dimension), Matrix<double>.Build.DenseIdentity(dimension));

    /// <param name="start">Where Newton's method starts, e.g. the previous posterior's mean (default zero).</param>
    public static LaplacePosterior Fit(IReadOnlyList<(Item Item, double Score)> answers, int dimension, Vector<double>? start = null)
    {
        var theta = start?.Clone() ?? Vector<double>.Build.Dense(dimension);
        var a = answers.Select(x => Vector<double>.Build.DenseOfEnumerable(x.Item.A.Select(v => (double)v))).ToArray();
        for (var step = 0; step < MaxNewtonSteps; step++)
        {
            var (gradient, hessian) = GradientAndHessian(theta);
            var direction = hessian.Cholesky().Solve(gradient);
            // Backtracking keeps every step downhill; with the prior the objective is strongly convex, so it converges.
            var current = Objective(theta);
            var length = 1.0;
            while (length > 1e-6 && Objective(theta - length * direction) > current - 1e-4 * length * gradient.DotProduct(direction)) length /= 2;
            theta -= length * direction;
            if (length * direction.L2Norm() < 1e-9) break;
        }
        var (_, h) = GradientAndHessian(theta);
        return new LaplacePosterior(theta, h.Cholesky().Solve(Matrix<double>.Build.DenseIdentity(dimension)));

        double Objective(Vector<double> t)
        {
            var f = 0.5 * t.DotProduct(t);
            for (var i = 0; i < a.Length; i++) f += SoftLabel.Loss(a[i].DotProduct(t) - answers[i].Item.B, answers[i].Score);
            return f;
        }

        (Vector<double>, Matrix<double>) GradientAndHessian(Vector<double> t)
        {
            var g = t.Clone();
            var hess = Matrix<double>.Build.DenseIdentity(dimension);
            for (var i = 0; i < a.Length; i++)
            {
                var z = a[i].DotProduct(t) - answers[i].Item.B;
                var p = Activation.Sigmoid(z);
                g += (p - answers[i].Score) * a[i];
                hess += p * (1 - p) * a[i].OuterProduct(a[i]);
            }
            return (g, hess);
        }
    }

    /// <summary>Mean and variance of an item's logit z = θ·a − b under this posterior, and Σa (which selectors reuse).</summary>
    public (double Mean, double Variance, double[] CovarianceTimesA) LogitMoments(Item item)
    {
        // Plain arrays: selectors call this for every candidate at every quiz step, where library calls cost more than the arithmetic.
        var d = Dimension;
        var covariance = _covariance.Value;
        var mean = _mean.Value;
        var covA = new double[d];
        double m = -item.B, variance = 0;
        for (var r = 0; r < d; r++)
        {
            double sum = 0;
            for (var c = 0; c < d; c++) sum += covariance[r, c] * item.A[c];
            covA[r] = sum;
            variance += item.A[r] * sum;
            m += item.A[r] * mean[r];
        }
        return (m, variance, covA);
    }

    /// <summary>
    /// The expected Fisher weight E_q[σ'(z)] of an answer whose logit is z ~ N(m, s²) under the posterior.
    /// E[σ(z)] ≈ σ(κm) with κ = 1/√(1 + πs²/8) (the probit approximation); differentiating in m gives κ σ'(κm).
    /// </summary>
    public static double ExpectedFisherWeight(double logitMean, double logitVariance)
    {
        var kappa = Item.ProbitScale(logitVariance);
        var p = Activation.Sigmoid(kappa * logitMean);
        return kappa * p * (1 - p);
    }
}
