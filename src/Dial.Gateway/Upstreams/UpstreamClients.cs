using Dial.Gateway.Configuration;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Upstreams;

/// <summary>
/// The configured upstreams by name, each built once at start-up. An HTTP upstream keeps one handler over its own
/// connection pool for the gateway's lifetime: keep-alive connections are reused across requests, and recycled every
/// <see cref="ConnectionLifetime"/> so DNS changes are picked up (what IHttpClientFactory's handler rotation would do,
/// without its per-call client and handler-chain lookups).
/// </summary>
public sealed class UpstreamClients : IDisposable
{
    private static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, IChatUpstream> _byName = new(StringComparer.Ordinal);
    private readonly List<HttpMessageInvoker> _handlers = [];

    public UpstreamClients(GatewayOptions options, Func<RoutingData> data, Func<string, string?> environment)
    {
        foreach (var u in ModelCatalog.UpstreamsOf(options))
        {
            IChatUpstream upstream = u.Kind switch
            {
                UpstreamKind.Replay => new ReplayUpstream(u.Name, data()),
                _ => new OpenAICompatibleUpstream(u.Name, BaseUrl(u), HandlerFor(), ApiKey(u, environment)),
            };
            if (!_byName.TryAdd(u.Name, upstream)) throw new InvalidOperationException($"configuration Dial:Upstreams: two upstreams named '{u.Name}'");
        }
    }

    public IChatUpstream this[string name] => _byName[name];

    private HttpMessageInvoker HandlerFor()
    {
        // No timeout here: the resilience pipeline owns timeouts.
        var handler = new HttpMessageInvoker(new SocketsHttpHandler { PooledConnectionLifetime = ConnectionLifetime });
        _handlers.Add(handler);
        return handler;
    }

    private static Uri BaseUrl(UpstreamOptions u)
    {
        if (!Uri.TryCreate(u.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"configuration Dial:Upstreams:{u.Name}: BaseUrl must be an absolute http(s) URL, got '{u.BaseUrl}'");
        // A trailing slash makes "chat/completions" resolve below the version path (…/v1/chat/completions).
        return new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
    }

    private static string? ApiKey(UpstreamOptions u, Func<string, string?> environment)
    {
        if (string.IsNullOrEmpty(u.ApiKeyEnv)) return null;
        return environment(u.ApiKeyEnv) is { Length: > 0 } key ? key
            : throw new InvalidOperationException($"configuration Dial:Upstreams:{u.Name}: environment variable {u.ApiKeyEnv} (ApiKeyEnv) is not set");
    }

    public void Dispose()
    {
        foreach (var handler in _handlers) handler.Dispose();
    }
}
