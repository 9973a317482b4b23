using System.Diagnostics;
using System.Text;

namespace Dial.Gateway.Bench;

/// <summary>
/// <c>dial serve</c> running as a process of its own on 127.0.0.1, as it runs in production: the load test puts the
/// gateway there so that its collections and threads are not shared with the load generator and the upstream, and
/// the end-to-end tests so that they exercise the real executable, a crash included.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    /// <summary>The line <c>dial serve</c> prints on standard output once it accepts requests, followed by its addresses.</summary>
    public const string ReadyLine = "dial gateway listening on ";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The first address it listens on, without a trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    public int Id => _process.Id;

    /// <summary>Everything it wrote to standard output and standard error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>CPU time the process has used so far.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <paramref name="start"/> (a <c>dial serve</c> command line) and waits until it prints
    /// <see cref="ReadyLine"/>; throws with everything it wrote if it exits or stays silent for <paramref name="timeout"/>.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var server = new GatewayProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}"));
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._output) server._output.AppendLine(e.Data);
            if (e.Data.StartsWith(ReadyLine, StringComparison.Ordinal)) listening.TrySetResult(e.Data[ReadyLine.Length..].Split(',')[0].Trim().TrimEnd('/'));
        };
        server._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._output) server._output.AppendLine(e.Data);
        };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var first = await Task.WhenAny(listening.Task, server._process.WaitForExitAsync(), Task.Delay(timeout));
        if (first != listening.Task)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"dial serve did not start within {timeout.TotalSeconds:0} s:\n{server.Output}");
        }
        server.BaseUrl = await listening.Task;
        return server;
    }

    /// <summary>Ends the process abruptly, as a crash would: no graceful shutdown, no final flush.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
