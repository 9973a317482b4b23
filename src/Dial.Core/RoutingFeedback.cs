namespace Dial;

/// <summary>
/// A client's score for one routed answer, with what was routed: the signal an online learner updates on.
/// </summary>
/// <param name="Preference">The trade-off the request was routed under; null when the client named a model itself.</param>
/// <param name="Score">The client's judgement in [0, 1], higher is better.</param>
/// <param name="CostUsd">What the answer cost.</param>
public sealed record RoutingFeedback(
    string RequestId,
    string Prompt,
    Preference? Preference,
    string Model,
    double Score,
    double CostUsd,
    DateTimeOffset At);

/// <summary>
/// Receives feedback once it is stored. The gateway calls every registered sink in turn; a sink that throws is
/// logged and does not lose the feedback, which is already durable.
/// </summary>
public interface IFeedbackSink
{
    ValueTask OnFeedbackAsync(RoutingFeedback feedback, CancellationToken cancellationToken);
}
