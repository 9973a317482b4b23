using Dial.Gateway.Configuration;
using Dial.Learning;
using Dial.Learning.Policy;

namespace Dial.Gateway.Routing;

/// <summary>
/// The gateway's router: the policy saved in <c>Dial:PolicyFile</c> when one is configured, else the configured
/// router (<c>Dial:Router</c>, a <see cref="RouterCatalog"/> name) trained on the table's train split.
/// </summary>
public static class RouterTraining
{
    public static IRouter Train(GatewayOptions options, Lazy<RoutingData> data, ILogger logger)
    {
        var started = TimeProvider.System.GetTimestamp();
        if (options.PolicyFile is { } path)
        {
            DialEnsemble policy;
            try
            {
                policy = PolicyFile.Load(path);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"configuration Dial:PolicyFile: {e.Message}", e);
            }
            logger.LogInformation("loaded policy {Router} ({Members} policies) for {Models} models from {Path} in {Seconds:F1} s",
                policy.Name, policy.Members.Count, policy.Models.Count, path, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
            return policy;
        }
        var trainer = RouterCatalog.Select([options.Router]).Single();
        var table = data.Value;
        var router = trainer.Train(new TrainingContext(table.Train, table.Encoder, table.Scale, options.Seed));
        logger.LogInformation("trained router {Router} on {Prompts} prompts of {Table} in {Seconds:F1} s",
            router.Name, table.Train.PromptCount, table.Table.Source, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
        return router;
    }
}
