namespace Dial.Gateway.Storage;

/// <summary>
/// The gateway's state: the request log and feedback. SQLite by default, PostgreSQL for several replicas;
/// both behind this one interface and migrated at start-up.
/// </summary>
public interface IGatewayStore
{
    /// <summary>Brings the schema up to date; safe to run from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>Writes requests in one transaction; a record already stored (same id) is left as it is.</summary>
    Task AppendRequestsAsync(IReadOnlyList<RequestRecord> requests, CancellationToken ct);

    Task<RequestRecord?> FindRequestAsync(string id, CancellationToken ct);

    /// <summary>Returns only once the feedback is durable: an acknowledged score survives a crash.</summary>
    Task AddFeedbackAsync(FeedbackRecord feedback, CancellationToken ct);

    /// <summary>
    /// Feedback stored after position <paramref name="afterSequence"/> (0: from the start), in the order it was stored,
    /// each with its request: the durable log an online learner replays after its last snapshot.
    /// </summary>
    Task<IReadOnlyList<LoggedFeedback>> FeedbackAfterAsync(long afterSequence, int max, CancellationToken ct);

    Task<IReadOnlyList<FeedbackRecord>> FeedbackForAsync(string requestId, CancellationToken ct);

    /// <summary>What a client key has spent on requests since <paramref name="since"/>.</summary>
    Task<double> SpentUsdAsync(string clientKey, DateTimeOffset since, CancellationToken ct);

    Task PingAsync(CancellationToken ct);
}
