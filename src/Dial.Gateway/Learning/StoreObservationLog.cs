using System.Globalization;
using Dial.Gateway.Storage;

namespace Dial.Gateway.Learning;

/// <summary>
/// The gateway store's feedback table as the observation log (the default, without Redis): feedback is durable
/// before it is acknowledged, and each row is joined to its request for the prompt, preference and chosen model.
/// Positions are feedback row ids. SQLite assigns them in commit order, so reading after an id misses nothing.
/// </summary>
public sealed class StoreObservationLog(IGatewayStore store) : IObservationLog
{
    public string Start => "0";

    public Task AppendAsync(RoutingFeedback feedback, CancellationToken ct) => Task.CompletedTask;

    public async Task<IReadOnlyList<LearningObservation>> ReadAfterAsync(string position, int max, CancellationToken ct)
    {
        if (!long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            throw new InvalidDataException($"learner snapshot position '{position}' is not a feedback id of the gateway store (was the snapshot taken with Redis?)");
        var rows = await store.FeedbackAfterAsync(after, max, ct);
        return rows.Select(r => new LearningObservation(r.Sequence.ToString(CultureInfo.InvariantCulture), r.Request.Id, r.Request.Prompt,
            r.Request.Preference, r.Request.Model, r.Feedback.Score, r.Request.CostUsd)).ToArray();
    }
}
