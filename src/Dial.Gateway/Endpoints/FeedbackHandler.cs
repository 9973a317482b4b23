using System.Text.Json.Nodes;
using Dial.Gateway.Security;
using Dial.Gateway.Storage;

namespace Dial.Gateway.Endpoints;

/// <summary>
/// <c>POST /v1/feedback</c> <c>{"request_id": "...", "score": 0.8, "comment": "..."}</c>: stores a client's score
/// for one of its requests durably, then hands it to every registered <see cref="IFeedbackSink"/>, and to the
/// router itself when it is one (an online learner then learns from live feedback with no extra wiring).
/// </summary>
public sealed class FeedbackHandler(
    IGatewayStore store,
    RequestLog log,
    IEnumerable<IFeedbackSink> registeredSinks,
    IRouter router,
    TimeProvider clock,
    ILogger<FeedbackHandler> logger)
{
    private const int MaxCommentChars = 4000;

    private readonly bool _inlineIo = InlineIo.Enabled;

    private readonly IFeedbackSink[] _sinks = router is IFeedbackSink learner && !registeredSinks.Contains(learner)
        ? [.. registeredSinks, learner]
        : [.. registeredSinks];

    public async Task<IResult> HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        var body = await ChatRequest.ReadObjectAsync(http.Request, ct);
        if (body["request_id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var requestId) || string.IsNullOrWhiteSpace(requestId))
            throw GatewayException.BadRequest("'request_id' is required: the X-Dial-Request-Id of the request being scored", "request_id");
        if (body["score"] is not JsonValue scoreValue || !scoreValue.TryGetValue<double>(out var score) || !(score >= 0 && score <= 1))
            throw GatewayException.BadRequest("'score' is required and must be a number in [0, 1]", "score");
        string? comment = null;
        if (body["comment"] is { } c && (c is not JsonValue cv || !cv.TryGetValue(out comment) || comment.Length > MaxCommentChars))
            throw GatewayException.BadRequest($"'comment' must be a string of at most {MaxCommentChars} characters", "comment");

        var client = ApiKeyFilter.Client(http);
        var request = await FindAsync(requestId, ct);
        // Another key's request is reported as unknown, so keys cannot probe each other's request ids.
        if (request is null || (client is not null && request.ClientKey != client.Name))
            throw new GatewayException(404, "invalid_request_error", "request_not_found", $"no request with id '{requestId}'", "request_id");

        var feedback = new FeedbackRecord(requestId, score, comment, client?.Name, clock.GetUtcNow());
        await store.AddFeedbackAsync(feedback, ct);
        var routed = new RoutingFeedback(requestId, request.Prompt, request.Preference, request.Model, score, request.CostUsd, feedback.At);
        // Learners' updates are CPU work, and under inline I/O an asynchronous store (PostgreSQL) resumes us on a socket thread.
        if (_inlineIo) await Task.Yield();
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.OnFeedbackAsync(routed, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "feedback sink {Sink} failed for request {RequestId}; the feedback is stored", sink.GetType().Name, requestId);
            }
        }
        return Results.Json(new { @object = "feedback", request_id = requestId, score, model = request.Model }, GatewayJson.Options);
    }

    /// <summary>A request served moments ago may still be queued in the request log, so look again after a flush.</summary>
    private async Task<RequestRecord?> FindAsync(string requestId, CancellationToken ct) =>
        await store.FindRequestAsync(requestId, ct) ?? await FlushAndFindAsync(requestId, ct);

    private async Task<RequestRecord?> FlushAndFindAsync(string requestId, CancellationToken ct)
    {
        await log.FlushAsync(ct);
        return await store.FindRequestAsync(requestId, ct);
    }
}
