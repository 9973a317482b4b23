using Dial.Gateway.Configuration;
using Dial.Learning;

namespace Dial.Gateway.Routing;

/// <summary>Trains the configured router (<c>Dial:Router</c>, a <see cref="RouterCatalog"/> name) on the table's train split.</summary>
public static class RouterTraining
{
    public static IRouter Train(GatewayOptions options, RoutingData data, ILogger logger)
    {
        var trainer = RouterCatalog.Select([options.Router]).Single();
        var started = TimeProvider.System.GetTimestamp();
        var router = trainer.Train(new TrainingContext(data.Train, data.Encoder, data.Scale, options.Seed));
        logger.LogInformation("trained router {Router} on {Prompts} prompts of {Table} in {Seconds:F1} s",
            router.Name, data.Train.PromptCount, data.Table.Source, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
        return router;
    }
}
