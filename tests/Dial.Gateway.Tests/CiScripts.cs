using System.Diagnostics;

namespace Dial.Gateway.Tests;

/// <summary>Runs the .ci/ scripts that start throwaway servers (PostgreSQL, Redis) when CI did not start them.</summary>
public static class CiScripts
{
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var path = ScriptPath(script);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(path);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{path} {string.Join(" ", arguments)} failed: {await stderr}");
        return await stdout;
    }

    /// <summary>The value of <c>export NAME='value'</c> in a script's output.</summary>
    public static string Value(string output, string name) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith($"export {name}=", StringComparison.Ordinal))
            .Split('=', 2)[1].Trim('\'');

    private static string ScriptPath(string script)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, ".ci", script))) return Path.Combine(dir.FullName, ".ci", script);
        throw new FileNotFoundException($".ci/{script} not found above the test folder");
    }
}
