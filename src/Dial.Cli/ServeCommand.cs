using System.CommandLine;
using Dial.Gateway;

namespace Dial.Cli;

/// <summary>
/// <c>dial serve</c>: runs the OpenAI-compatible gateway. With no configuration it trains the configured router
/// on the bundled RouterBench table and answers through the replay upstream, with no keys and no network.
/// Any further <c>--Section:Key=value</c> argument is configuration, like appsettings.json and environment variables.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => GatewayHost.DefaultUrl };
        var router = new Option<string?>("--router") { Description = "Router to train at start-up (configuration Dial:Router; default dial)" };
        var policy = new Option<string?>("--policy") { Description = "Policy file saved by dial train, loaded instead of training a router (Dial:PolicyFile)" };
        var table = new Option<string?>("--table") { Description = "Routing table to train on and replay from (Dial:Table; default the bundled RouterBench table)" };
        var command = new Command("serve", "Run the OpenAI-compatible routing gateway (POST /v1/chat/completions with model dial/auto)")
        {
            urls, router, policy, table,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var args = new List<string> { $"--urls={parse.GetValue(urls)}" };
            if (parse.GetValue(router) is { } r) args.Add($"--Dial:Router={r}");
            if (parse.GetValue(policy) is { } p) args.Add($"--Dial:PolicyFile={p}");
            if (parse.GetValue(table) is { } t) args.Add($"--Dial:Table={t}");
            args.AddRange(parse.UnmatchedTokens);
            InlineIo.ApplyServeSetting();
            try
            {
                return await GatewayHost.RunAsync(args.ToArray(), ct);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // Configuration mistakes and a port already in use: one line, not a stack trace.
                await Console.Error.WriteLineAsync($"dial serve: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
