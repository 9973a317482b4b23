namespace Dial.Learning.Policy;

/// <summary>
/// Turns a candidate model into the fixed-length vector the policy scores it from. This is the seam through
/// which a model is known to the policy: list prices always, plus whatever per-model vector the describer
/// holds (an IRT identity from Dial.Learning.Identity, or an embedding learned with the policy).
/// </summary>
public interface ICandidateDescriber
{
    int Dimension { get; }

    /// <summary>Writes the candidate's descriptor; throws <see cref="KeyNotFoundException"/> for a model it cannot describe.</summary>
    void Describe(ModelCard card, Span<float> descriptor);
}
