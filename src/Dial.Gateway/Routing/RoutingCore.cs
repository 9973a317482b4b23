using System.Diagnostics;
using Dial.Gateway.Configuration;
using Dial.Gateway.Endpoints;
using Dial.Gateway.Telemetry;
using Dial.Gateway.Upstreams;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Dial.Gateway.Routing;

/// <summary>
/// The one routing and fallback path, shared by the HTTP endpoint and <see cref="ChatClient.RoutingChatClient"/>:
/// <see cref="Plan"/> asks the router for a ranked list of candidates, <see cref="ExecuteAsync{T}"/> calls them
/// best first through each upstream's resilience pipeline until one answers.
/// </summary>
public sealed class RoutingCore(
    IRouter router,
    ModelCatalog models,
    ProfileCatalog profiles,
    UpstreamResilience resilience,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    ILogger<RoutingCore> logger)
{
    private readonly int _maxCandidates = Math.Max(1, options.Value.Resilience.MaxCandidates);

    public string RouterName => router.Name;

    /// <summary>Resolves the requested model: a routed name (<c>dial/…</c>) is routed, a concrete name is used as it is.</summary>
    /// <param name="preference">The request's own trade-off; null takes the profile's.</param>
    public RoutePlan Plan(string requestedModel, string prompt, Preference? preference)
    {
        if (profiles.TryResolve(requestedModel, out var profile))
        {
            if (profile is null)
                throw new GatewayException(404, "invalid_request_error", "model_not_found",
                    $"no routing profile '{requestedModel}'; routed names are {string.Join(", ", profiles.RoutedNames)}", "model");
            var effective = preference ?? profile.Preference;
            var decision = router.Route(new RoutingRequest(prompt, effective, profile.Candidates));
            var ranked = decision.Ranked;
            var attempts = new ModelRoute[Math.Min(_maxCandidates, ranked.Count)];
            for (var i = 0; i < attempts.Length; i++) attempts[i] = models.Get(ranked[i].Model);
            return new RoutePlan(requestedModel, profile, effective, decision, attempts);
        }
        if (models.TryGet(requestedModel, out var route)) return new RoutePlan(requestedModel, null, null, null, [route]);
        throw new GatewayException(404, "invalid_request_error", "model_not_found",
            $"the model '{requestedModel}' does not exist; see GET /v1/models", "model");
    }

    /// <summary>
    /// Calls the plan's candidates in order until one answers. Each candidate gets its upstream's retries,
    /// breaker and timeout; the walk over candidates is bounded by the plan (at most Resilience:MaxCandidates).
    /// A client error (the request itself refused) ends the walk at once: another model would refuse it too.
    /// </summary>
    public async Task<Routed<T>> ExecuteAsync<T>(RoutePlan plan, Func<ModelRoute, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        var failures = new List<AttemptFailure>();
        foreach (var route in plan.Attempts)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                // The pipeline's retry and breaker handle object outcomes: run with any other result type, Polly
                // converts each outcome around each of them in two more asynchronous layers.
                var value = (T)(await resilience.For(route.Upstream).ExecuteAsync(
                    static async ValueTask<object?> (state, token) => await state.call(state.route, token), (call, route), ct))!;
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                metrics.UpstreamLatency(route.Upstream, route.Name, ms, ok: true);
                return new Routed<T>(value, route, failures, ms);
            }
            catch (UpstreamException e) when (e.IsClientError)
            {
                throw new GatewayException(e.ClientStatus!.Value, "invalid_request_error", "upstream_rejected_request", e.Message, inner: e);
            }
            catch (Exception e) when (UpstreamResilience.IsUpstreamFault(e) && !ct.IsCancellationRequested)
            {
                metrics.UpstreamLatency(route.Upstream, route.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ok: false);
                var reason = Describe(e);
                metrics.Fallback(route.Name, Kind(e));
                logger.LogWarning("upstream {Upstream} failed for model {Model}: {Reason}", route.Upstream, route.Name, reason);
                failures.Add(new AttemptFailure(route.Name, route.Upstream, reason));
            }
        }
        var allOpen = failures.Count > 0 && failures.All(f => f.Reason.StartsWith("circuit open", StringComparison.Ordinal));
        throw new GatewayException(allOpen ? 503 : 502, "api_error", allOpen ? "upstream_unavailable" : "upstream_failed",
            $"no candidate answered: {string.Join("; ", failures.Select(f => $"{f.Model} ({f.Reason})"))}");
    }

    private static string Kind(Exception e) => e switch
    {
        BrokenCircuitException => "circuit_open",
        TimeoutRejectedException => "timeout",
        UpstreamException => "upstream_error",
        HttpRequestException => "network",
        _ => "error",
    };

    /// <summary>Why a candidate was given up on, in words safe to show a client: no URLs, no keys, no upstream bodies.</summary>
    private static string Describe(Exception e) => e switch
    {
        BrokenCircuitException => "circuit open after repeated failures",
        TimeoutRejectedException => "timed out",
        UpstreamException u => u.Message,
        HttpRequestException h => $"network error{(h.HttpRequestError != HttpRequestError.Unknown ? $" ({h.HttpRequestError})" : "")}",
        _ => e.GetType().Name,
    };
}
