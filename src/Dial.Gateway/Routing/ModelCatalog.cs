using Dial.Gateway.Configuration;

namespace Dial.Gateway.Routing;

/// <summary>A model the gateway can call: its card (prices, for routing and cost), its upstream and the upstream's name for it.</summary>
public sealed record ModelRoute(ModelCard Card, string Upstream, string UpstreamModel)
{
    public string Name => Card.Name;
}

/// <summary>Every model of every configured upstream, by the name clients and routers use.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ModelRoute> _byName;

    public ModelCatalog(IReadOnlyList<ModelRoute> routes)
    {
        if (routes.Count == 0) throw new InvalidOperationException("configuration Dial:Upstreams: no upstream serves any model");
        _byName = new Dictionary<string, ModelRoute>(StringComparer.Ordinal);
        foreach (var route in routes)
            if (!_byName.TryAdd(route.Name, route))
                throw new InvalidOperationException($"configuration Dial:Upstreams: model '{route.Name}' is served by both '{_byName[route.Name].Upstream}' and '{route.Upstream}'");
        Routes = routes;
        Cards = routes.Select(r => r.Card).ToArray();
    }

    public IReadOnlyList<ModelRoute> Routes { get; }

    public IReadOnlyList<ModelCard> Cards { get; }

    public bool TryGet(string name, out ModelRoute route) => _byName.TryGetValue(name, out route!);

    public ModelRoute Get(string name) =>
        _byName.TryGetValue(name, out var route) ? route : throw new InvalidOperationException($"router chose '{name}', which no upstream serves");

    /// <summary>The catalog configuration describes; replay upstreams without a model list serve every model of the table.</summary>
    public static ModelCatalog From(GatewayOptions options, Func<RoutingData> data)
    {
        var routes = new List<ModelRoute>();
        foreach (var upstream in UpstreamsOf(options))
        {
            if (string.IsNullOrWhiteSpace(upstream.Name)) throw new InvalidOperationException("configuration Dial:Upstreams: every upstream needs a Name");
            if (upstream.Kind == UpstreamKind.Replay && upstream.Models.Count == 0)
            {
                routes.AddRange(data().Table.Models.Select(card => new ModelRoute(card, upstream.Name, card.Name)));
                continue;
            }
            if (upstream.Models.Count == 0) throw new InvalidOperationException($"configuration Dial:Upstreams:{upstream.Name}: lists no Models");
            foreach (var m in upstream.Models)
            {
                var card = upstream.Kind == UpstreamKind.Replay && data().Table.TryGetModelIndex(m.UpstreamModel ?? m.Name, out var i)
                    ? data().Table.Models[i] with { Name = m.Name }
                    : new ModelCard(m.Name, upstream.Name, m.InputUsdPerMTok, m.OutputUsdPerMTok, MedianLatencyMs: m.MedianLatencyMs);
                try
                {
                    card.Validate($"configuration Dial:Upstreams:{upstream.Name}");
                }
                catch (ArgumentException e)
                {
                    throw new InvalidOperationException(e.Message, e);
                }
                routes.Add(new ModelRoute(card, upstream.Name, m.UpstreamModel ?? m.Name));
            }
        }
        return new ModelCatalog(routes);
    }

    /// <summary>The configured upstreams, or the default single replay upstream when none is configured.</summary>
    public static IReadOnlyList<UpstreamOptions> UpstreamsOf(GatewayOptions options) =>
        options.Upstreams.Count > 0 ? options.Upstreams : [new UpstreamOptions { Name = "replay", Kind = UpstreamKind.Replay }];
}
