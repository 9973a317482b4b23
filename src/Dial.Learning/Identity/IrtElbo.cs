using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// The negative ELBO of the identity model on a minibatch of prompts, with hand-derived gradients for the
/// item network and the variational identities. Per cell the logit is z = θ_k·a(x) − b(x) and the loss is the
/// soft-label cross-entropy; with g = σ(z) − y, dz/dθ_k = a(x), dz/da = θ_k, dz/db = −1.
/// The batch's likelihood is averaged per cell and the KL divided by all cells of the data set, so one epoch
/// of steps sums to the full negative ELBO divided by the cell count.
/// </summary>
internal sealed class IrtElbo(ItemNetwork network, VariationalIdentities identities, ObservedCells data)
{
    /// <param name="epsilon">The reparameterisation noise, models × dimension; one draw per model per batch.</param>
    /// <param name="accumulateGradients">Adds the loss's gradients to every parameter when true.</param>
    public double Loss(IReadOnlyList<int> batch, float[] epsilon, bool accumulateGradients)
    {
        var d = identities.Dimension;
        var theta = new float[epsilon.Length];
        identities.Reparameterise(epsilon, theta);
        var gradTheta = new float[theta.Length];
        var hidden = new float[network.Hidden];
        var gradA = new float[d];
        var batchCells = batch.Sum(p => data.Cells[p].Length);
        if (batchCells == 0) return identities.KlDivergence() / data.Count;
        var cellScale = 1f / batchCells;
        double nll = 0;
        foreach (var p in batch)
        {
            var x = data.Features[p];
            var item = network.Forward(x, hidden);
            Array.Clear(gradA);
            double gradB = 0;
            foreach (var (model, score) in data.Cells[p])
            {
                var th = theta.AsSpan(model * d, d);
                var z = item.Logit(th);
                nll += SoftLabel.Loss(z, score);
                if (!accumulateGradients) continue;
                var g = (float)SoftLabel.Gradient(z, score) * cellScale;
                var gt = gradTheta.AsSpan(model * d, d);
                for (var j = 0; j < d; j++)
                {
                    gt[j] += g * item.A[j];
                    gradA[j] += g * th[j];
                }
                gradB -= g;
            }
            if (accumulateGradients) network.Backward(x, hidden, gradA, (float)gradB);
        }
        if (accumulateGradients)
        {
            identities.AddThetaGradient(epsilon, gradTheta);
            identities.AddKlGradient(1f / data.Count);
        }
        return nll / batchCells + identities.KlDivergence() / data.Count;
    }

    public void ZeroGradients()
    {
        foreach (var p in network.Parameters.Concat(identities.Parameters)) p.ZeroGradient();
    }
}
