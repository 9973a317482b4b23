using Dial.Gateway.Security;
using Dial.Gateway.Storage;

namespace Dial.Gateway.Endpoints;

/// <summary><c>GET /v1/requests/{id}</c>: what the gateway logged about one of the caller's requests, with its feedback.</summary>
public sealed class RequestsHandler(IGatewayStore store, RequestLog log)
{
    public async Task<IResult> HandleAsync(HttpContext http, string id)
    {
        var ct = http.RequestAborted;
        var client = ApiKeyFilter.Client(http);
        var request = await store.FindRequestAsync(id, ct);
        if (request is null)
        {
            await log.FlushAsync(ct);
            request = await store.FindRequestAsync(id, ct);
        }
        if (request is null || (client is not null && request.ClientKey != client.Name))
            throw new GatewayException(404, "invalid_request_error", "request_not_found", $"no request with id '{id}'", "id");
        var feedback = await store.FeedbackForAsync(id, ct);
        return Results.Json(new
        {
            @object = "dial.request",
            id = request.Id,
            created = request.At.ToUnixTimeSeconds(),
            requested_model = request.RequestedModel,
            profile = request.Profile,
            model = request.Model,
            upstream = request.Upstream,
            router = request.Router,
            preference = request.Preference is { } p ? new { quality = p.Quality, cost = p.Cost, latency = p.Latency } : null,
            expected_quality = request.ExpectedQuality,
            expected_cost_usd = request.ExpectedCostUsd,
            cost_usd = request.CostUsd,
            upstream_ms = request.UpstreamMs,
            status = request.Status,
            fallbacks = request.Fallbacks,
            feedback = feedback.Select(f => new { score = f.Score, comment = f.Comment, created = f.At.ToUnixTimeSeconds() }),
        }, GatewayJson.Options);
    }
}
