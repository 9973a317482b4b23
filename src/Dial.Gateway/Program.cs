namespace Dial.Gateway;

/// <summary>The gateway as its own program (also the entry point WebApplicationFactory hosts in tests).</summary>
public sealed class GatewayProgram
{
    public static Task<int> Main(string[] args) => GatewayHost.RunAsync(args);
}
