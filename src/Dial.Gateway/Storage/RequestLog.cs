using System.Threading.Channels;
using Dial.Gateway.Security;

namespace Dial.Gateway.Storage;

/// <summary>
/// Writes the request log off the request path: handlers enqueue, one writer thread stores whatever has queued up
/// in one transaction, so a busy gateway pays one commit per batch instead of one per request. The writer waits
/// <see cref="Linger"/> after the first record of a batch so batches grow under load (a few commits a second
/// instead of hundreds), unless a flush is asked for. It runs on its own thread because SQLite's "async" calls
/// block: on the thread pool they would stall the requests sharing this small machine's few pool threads.
/// The queue is bounded and applies back-pressure when full rather than dropping records. On Linux the writer runs
/// in the idle scheduling class (<see cref="IdleScheduling"/>): requests come first, the log takes the time they
/// leave. Each write's spend totals go to the <see cref="SpendingTracker"/>. Stopping drains the queue first.
/// </summary>
public sealed class RequestLog(IGatewayStore store, SpendingTracker spending, ILogger<RequestLog> logger) : IHostedService
{
    private const int MaxBatch = 1024;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(20);

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(20_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private Thread? _writer;

    public ValueTask AppendAsync(RequestRecord record, CancellationToken ct) =>
        _queue.Writer.TryWrite(record) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(record, ct);

    /// <summary>Completes once every record enqueued before the call is stored.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(done, ct);
        await done.Task.WaitAsync(ct);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "dial-request-log" };
        _writer.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete(); // the loop drains what is queued, then ends
        if (_writer is { } writer) await Task.Run(writer.Join, cancellationToken);
    }

    private void WriteLoop()
    {
        if (!IdleScheduling.TryEnter())
            logger.LogDebug("the request log's writer runs at normal CPU priority (no idle scheduling class here)");
        var batch = new List<RequestRecord>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        var reader = _queue.Reader;
        while (Wait(reader.WaitToReadAsync()))
        {
            if (reader.TryPeek(out var first) && first is RequestRecord) Thread.Sleep(Linger);
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                if (item is RequestRecord r) batch.Add(r);
                else flushes.Add((TaskCompletionSource)item);
            }
            try
            {
                spending.Committed(Wait(store.AppendRequestsAsync(batch, CancellationToken.None)));
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

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
