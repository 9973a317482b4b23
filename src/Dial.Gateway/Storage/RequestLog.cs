using System.Threading.Channels;

namespace Dial.Gateway.Storage;

/// <summary>
/// Writes the request log off the request path: handlers enqueue, one background loop writes whatever has
/// queued up in one transaction, so a busy gateway pays one commit per batch instead of one per request.
/// The queue is bounded and applies back-pressure when full rather than dropping records.
/// </summary>
public sealed class RequestLog(IGatewayStore store, ILogger<RequestLog> logger) : BackgroundService
{
    private const int MaxBatch = 512;

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(20_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ValueTask AppendAsync(RequestRecord record, CancellationToken ct) => _queue.Writer.WriteAsync(record, ct);

    /// <summary>Completes once every record enqueued before the call is stored.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(done, ct);
        await done.Task.WaitAsync(ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete(); // the loop drains what is queued, then ends
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<RequestRecord>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        // Reads ignore stoppingToken on purpose: StopAsync completes the channel and the loop drains it first.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                if (item is RequestRecord r) batch.Add(r);
                else flushes.Add((TaskCompletionSource)item);
            }
            try
            {
                await store.AppendRequestsAsync(batch, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogError(e, "could not store {Count} request log records; they are lost", batch.Count);
            }
            foreach (var f in flushes) f.TrySetResult();
            batch.Clear();
            flushes.Clear();
        }
    }
}
