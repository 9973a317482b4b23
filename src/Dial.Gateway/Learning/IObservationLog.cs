namespace Dial.Gateway.Learning;

/// <summary>One outcome for the learner: a scored request, with its place in the observation log.</summary>
/// <param name="Position">Where the observation sits in its log; reading after it continues with the next one.</param>
/// <param name="Preference">The request's trade-off; null when the client named a model itself.</param>
public sealed record LearningObservation(string Position, string RequestId, string Prompt, Preference? Preference, string Model, double Score, double CostUsd);

/// <summary>
/// The ordered, durable log of observations a learner is rebuilt from: a learner's state is a snapshot plus
/// every observation after the snapshot's position, applied in log order. Every replica reading the same log
/// applies the same observations in the same order, so replicas agree.
/// </summary>
public interface IObservationLog
{
    /// <summary>The position before the first observation.</summary>
    string Start { get; }

    /// <summary>Records feedback that was just stored (a log that is the gateway store itself has nothing to add).</summary>
    Task AppendAsync(RoutingFeedback feedback, CancellationToken ct);

    /// <summary>
    /// Up to <paramref name="max"/> observations after <paramref name="position"/>, in log order; throws
    /// <see cref="ObservationLogTrimmedException"/> if some of them are no longer kept.
    /// </summary>
    Task<IReadOnlyList<LearningObservation>> ReadAfterAsync(string position, int max, CancellationToken ct);
}

/// <summary>The log no longer holds every observation after the position asked for: the reader must restart from a snapshot.</summary>
public sealed class ObservationLogTrimmedException(string message) : Exception(message);
