namespace Dial.Gateway;

/// <summary>
/// Inline I/O: socket completions run on the socket threads instead of being handed to the thread pool
/// (the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, which also gives each core its own socket
/// thread), and Kestrel runs requests there too. A routed request then skips four thread hand-offs, each a
/// wake-up on a small machine: in <c>dial bench gateway</c> the gateway's CPU per request fell by a fifth and
/// Dial's median overhead from ~0.49 to ~0.42 ms (docs/gateway.md, "Session 8"). The price: code that blocks on a socket
/// thread stalls every connection of that thread, so only the chat completions path stays there (it never
/// blocks: the request log is written by its own thread, a capped key's spend is read on the thread pool) and every other request moves to the thread pool first,
/// where SQLite's blocking calls belong. <c>dial serve</c> turns it on unless the variable is set already; the
/// runtime reads it once, before the first socket, so it cannot be a configuration key.
/// </summary>
public static class InlineIo
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether this process's sockets complete inline (the variable is read the same way the runtime reads it).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>For <c>dial serve</c>, before anything opens a socket; an operator's own setting ("0" turns it off) wins.</summary>
    public static void ApplyServeSetting()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable))) Environment.SetEnvironmentVariable(Variable, "1");
    }

    /// <summary>Moves requests other than chat completions off the socket thread (see the class summary); chat passes straight through.</summary>
    internal static Task LeaveSocketThreadUnlessChatAsync(HttpContext context, RequestDelegate next) =>
        context.Request.Path.StartsWithSegments(ChatCompletionsPath) ? next(context) : OnThreadPoolAsync(context, next);

    private static async Task OnThreadPoolAsync(HttpContext context, RequestDelegate next)
    {
        await Task.Yield();
        await next(context);
    }

    private static readonly PathString ChatCompletionsPath = "/v1/chat/completions";
}
