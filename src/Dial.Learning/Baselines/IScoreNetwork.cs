using Dial.Learning.Neural;

namespace Dial.Learning.Baselines;

/// <summary>
/// A small network from prompt features to one score logit per model (score = sigmoid(logit)), trained by
/// <see cref="ScoreNetworkFit"/> on the observed cells only.
/// </summary>
internal interface IScoreNetwork
{
    int ModelCount { get; }

    /// <summary>All trainable parameters, which the optimiser updates in place.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The parameters under the L2 penalty (weights, not biases).</summary>
    IReadOnlyList<Parameter> PenalisedParameters { get; }

    /// <summary>Writes the logits of one prompt into <paramref name="logits"/>.</summary>
    void Logits(float[] x, Span<float> logits);

    /// <summary>
    /// Back-propagates one prompt: adds to each parameter's gradient that of the loss, given its gradient with
    /// respect to the logits.
    /// </summary>
    void Backward(float[] x, ReadOnlySpan<float> logitGradient);
}
