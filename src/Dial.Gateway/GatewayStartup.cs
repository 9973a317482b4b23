using Dial.Gateway.Routing;
using Dial.Gateway.Storage;
using Dial.Gateway.Upstreams;

namespace Dial.Gateway;

/// <summary>
/// Runs before the server listens (hosted services start first): migrates the store, trains the router and
/// tries every profile once, so a misconfiguration stops start-up with a clear message instead of failing requests.
/// </summary>
internal sealed class GatewayStartup(
    IGatewayStore store, UpstreamClients upstreams, IRouter router, ProfileCatalog profiles, ModelCatalog models, UpstreamResilience resilience, ILogger<GatewayStartup> logger)
    : IHostedService
{
    // Taking UpstreamClients builds every upstream, so a bad BaseUrl or a missing key variable stops start-up here.
    private readonly UpstreamClients _upstreams = upstreams;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.MigrateAsync(cancellationToken);
        try
        {
            foreach (var upstream in models.Routes.Select(r => r.Upstream).Distinct()) resilience.For(upstream);
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException e)
        {
            throw new InvalidOperationException($"configuration Dial:Resilience: {e.Message}", e);
        }
        foreach (var name in profiles.RoutedNames)
        {
            profiles.TryResolve(name, out var profile);
            try
            {
                router.Route(new RoutingRequest("start-up check", profile!.Preference, profile.Candidates));
            }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException) // e.g. a loaded policy that does not know a configured model
            {
                throw new InvalidOperationException($"profile '{profile!.Name}' cannot be routed by router '{router.Name}': {e.Message}", e);
            }
        }
        logger.LogInformation("Dial gateway ready: router {Router}, routed names {Names}", router.Name, string.Join(", ", profiles.RoutedNames));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
