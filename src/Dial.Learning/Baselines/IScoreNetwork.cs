namespace Dial.Learning.Baselines;

/// <summary>
/// A small network from prompt features to one score logit per model (score = sigmoid(logit)), trained by
/// <see cref="ScoreNetworkFit"/> on the observed cells only.
/// </summary>
internal interface IScoreNetwork
{
    int ModelCount { get; }

    /// <summary>All trainable parameters in one flat array, which the optimiser updates in place.</summary>
    float[] Parameters { get; }

    /// <summary>Parameters under the L2 penalty (weights, not biases), as ranges of <see cref="Parameters"/>.</summary>
    IReadOnlyList<Range> PenalisedRanges { get; }

    /// <summary>Writes the logits of one prompt into <paramref name="logits"/>.</summary>
    void Logits(float[] x, Span<float> logits);

    /// <summary>
    /// Back-propagates one prompt: adds to <paramref name="gradient"/> (laid out like <see cref="Parameters"/>) the
    /// gradient of the loss with respect to the parameters, given its gradient with respect to the logits.
    /// </summary>
    void Backward(float[] x, ReadOnlySpan<float> logitGradient, Span<float> gradient);
}
