using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// The learned baseline b(x, w) that REINFORCE subtracts from the reward: a small network over the prompt's
/// projection (held constant, so the baseline never moves the policy's features) and the preference, fitted by
/// squared error to the rewards seen. Used in training only; it is not saved with the policy.
/// </summary>
public sealed class RewardBaseline
{
    private readonly float[] _input;
    private readonly float[] _hidden;
    private readonly float[] _dHidden;

    public RewardBaseline(int projection, int hidden, Random random)
    {
        Hidden = new Dense("baseline.hidden", projection + 3, hidden, random);
        Output = new Dense("baseline.output", hidden, 1, random);
        _input = new float[projection + 3];
        _hidden = new float[hidden];
        _dHidden = new float[hidden];
    }

    public Dense Hidden { get; }

    public Dense Output { get; }

    public IReadOnlyList<Parameter> Parameters => [.. Hidden.Parameters, .. Output.Parameters];

    public float Predict(ReadOnlySpan<float> projection, Preference preference)
    {
        projection.CopyTo(_input);
        var p = preference.Normalized();
        _input[^3] = (float)p.Quality;
        _input[^2] = (float)p.Cost;
        _input[^1] = (float)p.Latency;
        Hidden.Forward(_input, _hidden);
        Activation.Relu(_hidden);
        Span<float> y = stackalloc float[1];
        Output.Forward(_hidden, y);
        return y[0];
    }

    /// <summary>Predicts b, accumulates the gradient of ½(b − reward)², and returns b as it was before this step.</summary>
    public float Fit(ReadOnlySpan<float> projection, Preference preference, float reward)
    {
        var prediction = Predict(projection, preference);
        Output.Backward(_hidden, [prediction - reward], _dHidden);
        Activation.ReluBackward(_hidden, _dHidden);
        Hidden.Backward(_input, _dHidden, Span<float>.Empty);
        return prediction;
    }
}
