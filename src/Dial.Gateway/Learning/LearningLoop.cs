namespace Dial.Gateway.Learning;

/// <summary>
/// Keeps the learner current and durable: before the server listens it replays the log after the restored
/// snapshot; then it polls the log (other replicas' observations) and snapshots periodically; on shutdown it
/// applies what is left and snapshots once more.
/// </summary>
internal sealed class LearningLoop(OnlineLearning learning, LearningOptions options, TimeProvider clock, ILogger<LearningLoop> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var replayed = await learning.CatchUpAsync(cancellationToken);
        logger.LogInformation("online learner {Learner} ready: replayed {Count} observations after its snapshot", learning.Name, replayed);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await learning.CatchUpAsync(cancellationToken);
            await learning.SnapshotAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is lost: the next start replays the log from the last snapshot.
            logger.LogError(e, "could not snapshot the online learner at shutdown");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.PollIntervalMilliseconds), clock);
        var lastSnapshot = clock.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await learning.CatchUpAsync(stoppingToken);
                    if (clock.GetElapsedTime(lastSnapshot).TotalSeconds >= options.SnapshotIntervalSeconds)
                    {
                        await learning.SnapshotAsync(stoppingToken);
                        lastSnapshot = clock.GetTimestamp();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "online learner could not read its observation log or snapshot; retrying");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down; StopAsync does the final catch-up and snapshot
        }
    }
}
