namespace Dial.Learning.Baselines;

/// <summary>Predicts, for one prompt, every known model's score and cost. What a predict-then-optimise router optimises over.</summary>
public interface IOutcomePredictor
{
    /// <summary>The models the predictor was trained on, in the order of its outputs.</summary>
    IReadOnlyList<string> Models { get; }

    /// <summary>Fills <paramref name="score"/> and <paramref name="cost"/> (USD per call), one entry per model of <see cref="Models"/>.</summary>
    void Predict(Prompt prompt, Span<double> score, Span<double> cost);
}
