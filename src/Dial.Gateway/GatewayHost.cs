using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dial.Gateway;

/// <summary>Builds and runs the gateway web application; <c>dial serve</c> and the Dial.Gateway program both come here.</summary>
public static class GatewayHost
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])) builder.WebHost.UseUrls(DefaultUrl);
        // Per-request framework logs cost throughput and say nothing the request log and metrics do not.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting starts an Activity for every request whenever its own logger is enabled at any level, and the
        // upstream HttpClient then starts a child and adds trace headers; it logs nothing above Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // A start-up failure (bad configuration, unknown router, port in use) reaches the caller as an exception,
        // which `dial serve` reports in one line; the host's own log of it would add a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        if (InlineIo.Enabled) builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.Services.AddDialGateway(builder.Configuration);
        var app = builder.Build();
        app.UseDialGateway();
        return app;
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        await using var app = Build(args);
        await app.StartAsync(ct);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        // One line tools and tests can wait for: the server is trained, migrated and listening.
        Console.WriteLine(Bench.GatewayProcess.ReadyLine + string.Join(", ", addresses));
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
}
