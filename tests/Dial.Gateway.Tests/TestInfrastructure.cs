using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dial.Gateway.Bench;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dial.Gateway.Tests;

/// <summary>
/// A deterministic router for testing gateway mechanics: ranks candidates in the order given (the profile's
/// model order), predicts quality 1 - 0.1 x rank and the cost of 1,000 input and 100 output tokens. It also
/// takes feedback, as an online learner would.
/// </summary>
public sealed class OrderedRouter : IRouter, IFeedbackSink
{
    public string Name => "ordered";

    public ConcurrentQueue<RoutingFeedback> Learned { get; } = new();

    public ValueTask OnFeedbackAsync(RoutingFeedback feedback, CancellationToken cancellationToken)
    {
        Learned.Enqueue(feedback);
        return ValueTask.CompletedTask;
    }

    public Preference? LastPreference { get; private set; }

    public RoutingDecision Route(RoutingRequest request)
    {
        LastPreference = request.Preference;
        var scores = request.Candidates.Select((c, i) => new CandidateScore(c.Name, -i, 1 - 0.1 * i, c.CostUsd(1000, 100))).ToArray();
        return RoutingDecision.ArgMax(Name, scores);
    }
}

public sealed class RecordingFeedbackSink : IFeedbackSink
{
    public ConcurrentQueue<RoutingFeedback> Received { get; } = new();

    public ValueTask OnFeedbackAsync(RoutingFeedback feedback, CancellationToken cancellationToken)
    {
        Received.Enqueue(feedback);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The gateway in process (WebApplicationFactory) against the fake upstream on 127.0.0.1, with the ordered router.</summary>
/// <param name="services">Further test services (e.g. a routing table shared by several hosts).</param>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string?> settings, bool realRouter = false, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<GatewayProgram>
{
    public OrderedRouter Router { get; } = new();

    public RecordingFeedbackSink Sink { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(collection =>
        {
            if (!realRouter) collection.Replace(ServiceDescriptor.Singleton<IRouter>(Router));
            collection.AddSingleton<IFeedbackSink>(Sink);
            services?.Invoke(collection);
        });
    }
}

/// <summary>A fake upstream plus a temp folder for the store; settings for the standard test catalog.</summary>
public sealed class GatewayTestEnvironment : IAsyncLifetime
{
    public const string UpstreamKeyEnv = "DIAL_TEST_UPSTREAM_KEY";

    public FakeOpenAIServer Fake { get; private set; } = null!;

    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("dial-gateway-test-");

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(UpstreamKeyEnv, FakeOpenAIServer.ApiKey);
        Fake = await FakeOpenAIServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Fake.DisposeAsync();
        try
        {
            Folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // SQLite's pool may still hold the file for a moment; a leftover temp folder is harmless
        }
    }

    /// <summary>
    /// Models on the fake upstream (upstream names pick its behaviour): good-large, good-small (echo),
    /// flaky (503), junk (non-JSON), picky (400), cutter (stream cut short). Profiles list them best first.
    /// </summary>
    public Dictionary<string, string?> Settings(string tag, string database = "gateway.db")
    {
        var s = new Dictionary<string, string?>
        {
            ["Dial:Upstreams:0:Name"] = "fake",
            ["Dial:Upstreams:0:Kind"] = "OpenAI",
            ["Dial:Upstreams:0:BaseUrl"] = Fake.BaseUrl,
            ["Dial:Upstreams:0:ApiKeyEnv"] = UpstreamKeyEnv,
            ["Dial:Store:ConnectionString"] = Path.Combine(Folder.FullName, database),
            ["Dial:Resilience:MaxRetries"] = "1",
            ["Dial:Resilience:RetryBaseDelayMs"] = "1",
            ["Dial:Resilience:BreakerMinimumThroughput"] = "1000",
            ["Dial:MaxRequestBodyBytes"] = "65536",
        };
        (string Name, string Upstream, double In, double Out)[] models =
        [
            ("good-large", $"echo-large-{tag}", 10, 30), ("good-small", $"echo-small-{tag}", 1, 2), ("flaky", $"broken-{tag}", 1, 1),
            ("junk", $"garbage-{tag}", 1, 1), ("picky", $"refuse-{tag}", 1, 1), ("cutter", $"cut-{tag}", 1, 1),
        ];
        for (var i = 0; i < models.Length; i++)
        {
            s[$"Dial:Upstreams:0:Models:{i}:Name"] = models[i].Name;
            s[$"Dial:Upstreams:0:Models:{i}:UpstreamModel"] = models[i].Upstream;
            s[$"Dial:Upstreams:0:Models:{i}:InputUsdPerMTok"] = models[i].In.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s[$"Dial:Upstreams:0:Models:{i}:OutputUsdPerMTok"] = models[i].Out.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var (profile, list) in new[] { ("fallback", new[] { "flaky", "good-small" }), ("junk", ["junk", "good-small"]), ("refuse", ["picky", "good-small"]), ("cut", ["cutter"]) })
            for (var i = 0; i < list.Length; i++) s[$"Dial:Profiles:{profile}:Models:{i}"] = list[i];
        return s;
    }
}

public static class Http
{
    public static async Task<(HttpResponseMessage Response, JsonNode? Body)> PostAsync(HttpClient client, string path, string json, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonNode.Parse(text) : null);
    }

    public static string Chat(string model, string prompt, string extra = "") =>
        $$"""{"model": "{{model}}", "messages": [{"role": "user", "content": {{JsonValue.Create(prompt).ToJsonString()}}}]{{extra}}}""";

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    /// <summary>The data payloads of a server-sent event stream, [DONE] included.</summary>
    public static List<string> Events(string stream) =>
        stream.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();

    public static string StreamedText(IEnumerable<string> events) =>
        string.Concat(events.Where(e => e != "[DONE]").Select(e => JsonNode.Parse(e))
            .SelectMany(e => e!["choices"] is JsonArray a ? a : []).Select(c => c!["delta"]?["content"]?.GetValue<string>() ?? ""));
}

/// <summary>
/// A test class served by one in-process gateway, built from the settings the class gives, started before its tests
/// and disposed after them.
/// </summary>
public abstract class InProcessGatewayTest : IAsyncLifetime
{
    protected GatewayFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected abstract Dictionary<string, string?> Settings();

    public Task InitializeAsync()
    {
        Factory = new GatewayFactory(Settings());
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}

/// <summary>A Linux process's threads by name, from /proc (Linux keeps the first 15 bytes of a thread's name).</summary>
public static class LinuxThreads
{
    /// <summary>The /proc task folders of <paramref name="process"/>'s threads named <paramref name="name"/>; "self" for this process.</summary>
    public static IReadOnlyList<string> Named(string process, string name) =>
        Directory.GetDirectories($"/proc/{process}/task").Where(task => Name(task) == name).ToList();

    /// <summary>A thread that ended since the folder was listed has no name left to read.</summary>
    private static string? Name(string taskFolder)
    {
        try { return File.ReadAllText(Path.Combine(taskFolder, "comm")).Trim(); }
        catch (IOException) { return null; }
    }
}
