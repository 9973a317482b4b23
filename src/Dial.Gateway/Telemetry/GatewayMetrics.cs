using System.Diagnostics.Metrics;

namespace Dial.Gateway.Telemetry;

/// <summary>
/// The gateway's metrics (meter <c>Dial.Gateway</c>), exported by OpenTelemetry in Prometheus format on /metrics.
/// Tags carry model, upstream and key names only: never a key, a prompt or an upstream URL.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Dial.Gateway";

    private readonly Counter<long> _requests;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _fallbacks;
    private readonly Histogram<double> _upstreamLatency;
    private readonly Histogram<double> _overhead;
    private readonly Histogram<double> _routing;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("dial.requests", description: "Chat completions served, by requested name, answering model and status");
        _cost = meter.CreateCounter<double>("dial.cost", unit: "usd", description: "Spend on upstream calls");
        _errors = meter.CreateCounter<long>("dial.errors", description: "Requests that ended in an error, by error type");
        _fallbacks = meter.CreateCounter<long>("dial.fallbacks", description: "Upstream attempts abandoned for the next-ranked candidate");
        _upstreamLatency = meter.CreateHistogram("dial.upstream.latency", unit: "ms", description: "Time to an upstream's answer (streams: to its headers)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] });
        _overhead = meter.CreateHistogram("dial.overhead", unit: "ms", description: "Time the gateway added on top of the upstream",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100] });
        _routing = meter.CreateHistogram("dial.routing", unit: "ms", description: "Time to plan a routed request: prompt encoding and the router's decision (part of dial.overhead)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
    }

    public void Request(string requested, string model, int status) =>
        _requests.Add(1, new("requested", requested), new("model", model), new("status", status));

    public void Cost(string model, double usd)
    {
        if (usd > 0) _cost.Add(usd, new KeyValuePair<string, object?>("model", model));
    }

    public void Error(string type) => _errors.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Fallback(string model, string reason) => _fallbacks.Add(1, new("model", model), new("reason", reason));

    public void UpstreamLatency(string upstream, string model, double ms, bool ok) =>
        _upstreamLatency.Record(ms, new("upstream", upstream), new("model", model), new("outcome", ok ? "ok" : "error"));

    public void Overhead(double ms) => _overhead.Record(ms);

    public void Routing(double ms) => _routing.Record(ms);
}
