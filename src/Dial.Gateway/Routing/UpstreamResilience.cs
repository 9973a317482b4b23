using System.Collections.Concurrent;
using Dial.Gateway.Configuration;
using Dial.Gateway.Upstreams;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Dial.Gateway.Routing;

/// <summary>
/// One Polly pipeline per upstream: retries with exponential backoff and jitter, outside a circuit breaker,
/// outside a per-attempt timeout. The breaker is per upstream, so one failing provider is skipped quickly
/// while the others keep serving. Polly's own telemetry (meter "Polly") reports retries and breaker state.
/// </summary>
public sealed class UpstreamResilience(IOptions<GatewayOptions> options, ILoggerFactory loggerFactory)
{
    // Built once per upstream and never reloaded, so not from Polly's registry: its pipelines track every execution
    // (for reloads and disposal), one more asynchronous layer per upstream call.
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _pipelines = new(StringComparer.Ordinal);
    private readonly ResilienceOptions _options = options.Value.Resilience;

    public ResiliencePipeline For(string upstream) => _pipelines.GetOrAdd(upstream, Build);

    private ResiliencePipeline Build(string upstream)
    {
        var builder = new ResiliencePipelineBuilder { Name = upstream, InstanceName = upstream }; // the tags the registry gave its telemetry
        if (_options.MaxRetries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(_options.RetryBaseDelayMs),
            });
        builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsUpstreamFault),
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = Math.Max(2, _options.BreakerMinimumThroughput),
                SamplingDuration = TimeSpan.FromSeconds(_options.BreakerSamplingSeconds),
                BreakDuration = TimeSpan.FromSeconds(_options.BreakerDurationSeconds),
            })
            .AddTimeout(TimeSpan.FromSeconds(_options.AttemptTimeoutSeconds))
            .ConfigureTelemetry(loggerFactory);
        return builder.Build();
    }

    /// <summary>Worth another try on the same upstream: network errors, timeouts, 408/429/5xx, and failures of an inner IChatClient.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        UpstreamException u => u.Transient,
        BrokenCircuitException => false,
        OperationCanceledException => false,
        _ => true,
    };

    /// <summary>A fault of the upstream, not of the request: counts against its breaker and moves on to the next candidate.</summary>
    public static bool IsUpstreamFault(Exception e) => e switch
    {
        UpstreamException u => !u.IsClientError,
        OperationCanceledException => false,
        _ => true,
    };
}
