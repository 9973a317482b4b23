using Dial.Gateway.Configuration;
using Dial.Gateway.Endpoints;
using Dial.Gateway.Learning;
using Dial.Learning.Online;
using Dial.Learning.Policy;
using Dial.Storage;
using StackExchange.Redis;
using Dial.Gateway.Routing;
using Dial.Gateway.Security;
using Dial.Gateway.Storage;
using Dial.Gateway.Telemetry;
using Dial.Gateway.Upstreams;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Dial.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The routing core alone: options from <c>Dial</c>, the model catalog, the trained router, the per-upstream
    /// resilience pipelines. Enough for <see cref="ChatClient.RoutingChatClient"/>; a registered <see cref="IRouter"/>
    /// (e.g. in tests) replaces the trained one.
    /// </summary>
    public static IServiceCollection AddDialRouting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton(sp => new Lazy<RoutingData>(() => RoutingData.Load(Options(sp))));
        services.TryAddSingleton(sp => ModelCatalog.From(Options(sp), () => sp.GetRequiredService<Lazy<RoutingData>>().Value));
        services.TryAddSingleton(sp => new ProfileCatalog(Options(sp), sp.GetRequiredService<ModelCatalog>()));
        services.TryAddSingleton(sp => RouterTraining.Train(Options(sp), sp.GetRequiredService<Lazy<RoutingData>>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterTraining))));
        services.TryAddSingleton<UpstreamResilience>();
        services.TryAddSingleton<RoutingCore>();
        return services;
    }

    /// <summary>Everything <c>dial serve</c> runs: the routing core, upstreams, store, request log, keys, metrics and error handling.</summary>
    public static IServiceCollection AddDialGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDialRouting(configuration);
        services.TryAddSingleton(sp => new UpstreamClients(Options(sp),
            () => sp.GetRequiredService<Lazy<RoutingData>>().Value, Environment.GetEnvironmentVariable));
        services.TryAddSingleton<IGatewayStore>(sp => CreateStore(Options(sp).Store));
        services.AddSingleton<RequestLog>();
        services.AddHostedService(sp => sp.GetRequiredService<RequestLog>());
        services.AddHostedService<GatewayStartup>();
        if (!string.IsNullOrWhiteSpace(configuration[$"{GatewayOptions.Section}:Learning:Learner"])) services.AddDialLearning();
        services.TryAddSingleton(sp => new ClientKeys(Options(sp)));
        services.TryAddSingleton<SpendingTracker>();
        services.TryAddSingleton<ChatCompletionsHandler>();
        services.TryAddSingleton<FeedbackHandler>();
        services.TryAddSingleton<RequestsHandler>();
        services.AddExceptionHandler<OpenAIErrorHandler>();
        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        // Per-request instruments cost every request a lookup and an update of their tag set, so the ones that
        // repeat Dial's own are left out: HttpClient's request metrics (dial.upstream.latency times the same call)
        // and Polly's per-call durations (the same again); Polly's retry and breaker events stay. The runtime's own
        // meter (collections, pause time, allocation, CPU, thread pool queue) is read only when /metrics is scraped.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName, "Polly", "Microsoft.AspNetCore.Hosting", "System.Runtime")
            .AddView("resilience.polly.pipeline.duration", MetricStreamConfiguration.Drop)
            .AddView("resilience.polly.strategy.attempt.duration", MetricStreamConfiguration.Drop)
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// The online learner routes instead of the trained router and learns from feedback (as the router, it is the
    /// feedback handler's sink). Its log and snapshots live in Redis when <c>Dial:Learning:Redis</c> is set,
    /// otherwise in the gateway store's feedback table and a SQLite file.
    /// </summary>
    public static IServiceCollection AddDialLearning(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => Options(sp).Learning);
        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(sp.GetRequiredService<LearningOptions>().Redis
            ?? throw new InvalidOperationException("configuration Dial:Learning:Redis is not set")));
        services.TryAddSingleton<IObservationLog>(sp => IsShared(sp)
            ? new RedisObservationLog(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<LearningOptions>().Key, sp.GetRequiredService<TimeProvider>())
            : new StoreObservationLog(sp.GetRequiredService<IGatewayStore>()));
        services.TryAddSingleton<ILearnerStateStore>(sp => IsShared(sp)
            ? new RedisLearnerStateStore(sp.GetRequiredService<IConnectionMultiplexer>(), TimeSpan.FromSeconds(sp.GetRequiredService<LearningOptions>().ReplicaTimeoutSeconds), sp.GetRequiredService<TimeProvider>())
            : new SqliteLearnerStateStore(sp.GetRequiredService<LearningOptions>().StatePath));
        services.TryAddSingleton(sp => new OnlineLearning(sp.GetRequiredService<LearningOptions>(), sp.GetRequiredService<Lazy<RoutingData>>().Value,
            sp.GetRequiredService<ModelCatalog>(), sp.GetRequiredService<ILearnerStateStore>(), sp.GetRequiredService<IObservationLog>(),
            Options(sp).Seed, sp.GetRequiredService<ILogger<OnlineLearning>>(), () => ServedPolicy(sp)));
        services.Replace(ServiceDescriptor.Singleton<IRouter>(sp => sp.GetRequiredService<OnlineLearning>()));
        services.AddHostedService<LearningLoop>();
        return services;
    }

    /// <summary>The policy ensemble the gateway serves without learning, or null when its router is not the policy (nothing is trained for it then).</summary>
    private static DialEnsemble? ServedPolicy(IServiceProvider sp)
    {
        var options = Options(sp);
        if (options.PolicyFile is null && options.Router != DialPolicyTrainer.BanditName) return null;
        return RouterTraining.Train(options, sp.GetRequiredService<Lazy<RoutingData>>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RouterTraining))) as DialEnsemble;
    }

    private static bool IsShared(IServiceProvider sp) => !string.IsNullOrWhiteSpace(sp.GetRequiredService<LearningOptions>().Redis);

    /// <summary>The gateway's middleware and endpoints, in order.</summary>
    public static WebApplication UseDialGateway(this WebApplication app)
    {
        var maxBody = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        app.UseExceptionHandler();
        app.UseStatusCodePages(OpenAIErrorHandler.WriteStatusAsync);
        app.Use((context, next) =>
        {
            RequestLimits.Apply(context, maxBody);
            return next(context);
        });
        if (InlineIo.Enabled) app.Use(InlineIo.LeaveSocketThreadUnlessChatAsync);
        app.MapDialGateway();
        return app;
    }

    private static GatewayOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<GatewayOptions>>().Value;

    private static IGatewayStore CreateStore(StoreOptions options) => options.Provider switch
    {
        StoreProvider.Postgres => new PostgresGatewayStore(options.ConnectionString
            ?? throw new InvalidOperationException("configuration Dial:Store:ConnectionString is required for the Postgres store")),
        _ => new SqliteGatewayStore(options.ConnectionString ?? "dial-gateway.db"),
    };
}
