namespace Dial.Gateway.Storage;

/// <summary>
/// The gateway's state: the request log and feedback. SQLite by default, PostgreSQL for several replicas;
/// both behind this one interface and migrated at start-up.
/// </summary>
public interface IGatewayStore
{
    /// <summary>Brings the schema up to date; safe to run from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>
    /// Writes requests in one transaction; a record already stored (same id) is left as it is. In the same
    /// transaction, each key's monthly spend grows by its new records' cost; returns, per key and month, what was
    /// added and the total after it (every replica's spend included).
    /// </summary>
    Task<IReadOnlyList<KeySpend>> AppendRequestsAsync(IReadOnlyList<RequestRecord> requests, CancellationToken ct);

    Task<RequestRecord?> FindRequestAsync(string id, CancellationToken ct);

    /// <summary>Returns only once the feedback is durable: an acknowledged score survives a crash.</summary>
    Task AddFeedbackAsync(FeedbackRecord feedback, CancellationToken ct);

    /// <summary>
    /// Feedback stored after position <paramref name="afterSequence"/> (0: from the start), in the order it was stored,
    /// each with its request: the durable log an online learner replays after its last snapshot.
    /// </summary>
    Task<IReadOnlyList<LoggedFeedback>> FeedbackAfterAsync(long afterSequence, int max, CancellationToken ct);

    Task<IReadOnlyList<FeedbackRecord>> FeedbackForAsync(string requestId, CancellationToken ct);

    /// <summary>What a client key has spent in the UTC calendar month containing <paramref name="month"/>, as stored so far.</summary>
    Task<double> MonthSpendAsync(string clientKey, DateTimeOffset month, CancellationToken ct);

    Task PingAsync(CancellationToken ct);
}
