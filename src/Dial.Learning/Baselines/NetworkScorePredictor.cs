using Dial.Learning.Neural;

namespace Dial.Learning.Baselines;

/// <summary>Predicts scores with a trained <see cref="IScoreNetwork"/> and costs as each model's mean training cost.</summary>
internal sealed class NetworkScorePredictor(IScoreNetwork network, TrainingSet train, IPromptEncoder encoder) : IOutcomePredictor
{
    private readonly double[] _meanCost = (double[])train.MeanCost.Clone();

    public IReadOnlyList<string> Models { get; } = train.Models;

    public void Predict(Prompt prompt, Span<double> score, Span<double> cost)
    {
        Span<float> logits = stackalloc float[network.ModelCount];
        network.Logits(prompt.Features(encoder), logits);
        for (var m = 0; m < logits.Length; m++)
        {
            score[m] = Activation.Sigmoid(logits[m]);
            cost[m] = _meanCost[m];
        }
    }
}
