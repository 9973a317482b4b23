using Dial.Gateway.Configuration;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Upstreams;

/// <summary>The configured upstreams by name, each built once at start-up.</summary>
public sealed class UpstreamClients
{
    private readonly Dictionary<string, IChatUpstream> _byName = new(StringComparer.Ordinal);

    public UpstreamClients(GatewayOptions options, IHttpClientFactory httpClients, Func<RoutingData> data, Func<string, string?> environment)
    {
        foreach (var u in ModelCatalog.UpstreamsOf(options))
        {
            IChatUpstream upstream = u.Kind switch
            {
                UpstreamKind.Replay => new ReplayUpstream(u.Name, data()),
                _ => new OpenAICompatibleUpstream(u.Name, HttpClientFor(u, httpClients), ApiKey(u, environment)),
            };
            if (!_byName.TryAdd(u.Name, upstream)) throw new InvalidOperationException($"configuration Dial:Upstreams: two upstreams named '{u.Name}'");
        }
    }

    public IChatUpstream this[string name] => _byName[name];

    public static string HttpClientName(string upstream) => "dial-upstream:" + upstream;

    private static Func<HttpClient> HttpClientFor(UpstreamOptions u, IHttpClientFactory factory)
    {
        if (!Uri.TryCreate(u.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"configuration Dial:Upstreams:{u.Name}: BaseUrl must be an absolute http(s) URL, got '{u.BaseUrl}'");
        // A trailing slash makes "chat/completions" resolve below the version path (…/v1/chat/completions).
        var baseAddress = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
        var name = HttpClientName(u.Name);
        return () =>
        {
            var client = factory.CreateClient(name);
            client.BaseAddress = baseAddress;
            client.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns timeouts
            return client;
        };
    }

    private static string? ApiKey(UpstreamOptions u, Func<string, string?> environment)
    {
        if (string.IsNullOrEmpty(u.ApiKeyEnv)) return null;
        return environment(u.ApiKeyEnv) is { Length: > 0 } key ? key
            : throw new InvalidOperationException($"configuration Dial:Upstreams:{u.Name}: environment variable {u.ApiKeyEnv} (ApiKeyEnv) is not set");
    }
}
