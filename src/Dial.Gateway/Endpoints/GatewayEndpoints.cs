using Dial.Gateway.Routing;
using Dial.Gateway.Security;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Exporter;

namespace Dial.Gateway.Endpoints;

/// <summary>The gateway's routes: thin endpoints over the injected handlers.</summary>
public static class GatewayEndpoints
{
    public static IEndpointRouteBuilder MapDialGateway(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        // A filter costs every request an invocation context, so an open gateway (no keys configured) has none.
        if (app.ServiceProvider.GetRequiredService<ClientKeys>().Enabled) v1.AddEndpointFilter<ApiKeyFilter>();
        // The hot endpoint as a plain RequestDelegate over the singleton handler: no per-request parameter binding.
        // Resolved on first use, since building the handler trains the router, which start-up does after mapping.
        ChatCompletionsHandler? chat = null;
        v1.MapPost("/chat/completions", http => (chat ??= http.RequestServices.GetRequiredService<ChatCompletionsHandler>()).HandleAsync(http));
        v1.MapPost("/feedback", (HttpContext http, FeedbackHandler handler) => handler.HandleAsync(http));
        v1.MapGet("/requests/{id}", (HttpContext http, string id, RequestsHandler handler) => handler.HandleAsync(http, id));
        v1.MapGet("/models", (ModelCatalog models, ProfileCatalog profiles) => Results.Json(new
        {
            @object = "list",
            data = profiles.RoutedNames.Select(n => new { id = n, @object = "model", created = 0, owned_by = "dial" })
                .Concat(models.Routes.Select(r => new { id = r.Name, @object = "model", created = 0, owned_by = r.Card.Provider })),
        }));
        app.MapHealthChecks("/healthz");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}

/// <summary>Ready when the store answers (the router is trained before the server starts listening).</summary>
internal sealed class StoreHealthCheck(Storage.IGatewayStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("the store does not answer: " + e.GetType().Name);
        }
    }
}
