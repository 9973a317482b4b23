namespace Dial.Gateway.Storage;

/// <summary>One served chat completion as the request log keeps it. Holds key names, never keys.</summary>
public sealed record RequestRecord(
    string Id,
    DateTimeOffset At,
    string? ClientKey,
    string RequestedModel,
    string? Profile,
    string Model,
    string? Upstream,
    string? Router,
    Preference? Preference,
    double? ExpectedQuality,
    double? ExpectedCostUsd,
    double CostUsd,
    double UpstreamMs,
    int Status,
    int Fallbacks,
    string Prompt);

/// <summary>One stored score for a request.</summary>
public sealed record FeedbackRecord(string RequestId, double Score, string? Comment, string? ClientKey, DateTimeOffset At);

/// <summary>Stored feedback with its position in the feedback log and the request it scores.</summary>
public sealed record LoggedFeedback(long Sequence, FeedbackRecord Feedback, RequestRecord Request);

/// <summary>A key's spend in one UTC month: what a request log write added, and the stored total after it.</summary>
public sealed record KeySpend(string ClientKey, DateTimeOffset Month, double AddedUsd, double TotalUsd);
