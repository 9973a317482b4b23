using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dial.Gateway.Bench;
using OpenAI;
using OpenAI.Chat;

namespace Dial.Gateway.Tests;

/// <summary>`dial serve` as a real process on 127.0.0.1 (knn router, configured, trained on the bundled table) in front of the fake upstream.</summary>
public sealed class EndToEndTests(GatewayTestEnvironment env) : IClassFixture<GatewayTestEnvironment>
{
    private static ProcessStartInfo DialCommand(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in arguments.Prepend(Path.Combine(AppContext.BaseDirectory, "dial.dll"))) start.ArgumentList.Add(a);
        start.Environment[GatewayTestEnvironment.UpstreamKeyEnv] = FakeOpenAIServer.ApiKey;
        return start;
    }

    private static Task<GatewayProcess> StartServeAsync(IEnumerable<string> arguments) =>
        GatewayProcess.StartAsync(DialCommand(["serve", "--urls", "http://127.0.0.1:0", .. arguments]), TimeSpan.FromSeconds(120));

    private string[] Arguments() =>
    [
        $"--Dial:Store:ConnectionString={Path.Combine(env.Folder.FullName, "e2e.db")}",
        "--Dial:Upstreams:0:Name=fake",
        $"--Dial:Upstreams:0:BaseUrl={env.Fake.BaseUrl}",
        $"--Dial:Upstreams:0:ApiKeyEnv={GatewayTestEnvironment.UpstreamKeyEnv}",
        "--Dial:Upstreams:0:Models:0:Name=gpt-4-1106-preview", "--Dial:Upstreams:0:Models:0:UpstreamModel=broken-e2e-gpt4",
        "--Dial:Upstreams:0:Models:0:InputUsdPerMTok=10", "--Dial:Upstreams:0:Models:0:OutputUsdPerMTok=30",
        "--Dial:Upstreams:0:Models:1:Name=claude-v1", "--Dial:Upstreams:0:Models:1:UpstreamModel=broken-e2e-claude",
        "--Dial:Upstreams:0:Models:1:InputUsdPerMTok=8", "--Dial:Upstreams:0:Models:1:OutputUsdPerMTok=24",
        "--Dial:Upstreams:0:Models:2:Name=mistralai/mistral-7b-chat", "--Dial:Upstreams:0:Models:2:UpstreamModel=echo-e2e-mistral",
        "--Dial:Upstreams:0:Models:2:InputUsdPerMTok=0.2", "--Dial:Upstreams:0:Models:2:OutputUsdPerMTok=0.2",
        "--Dial:Upstreams:0:Models:3:Name=gpt-3.5-turbo-1106", "--Dial:Upstreams:0:Models:3:UpstreamModel=echo-e2e-gpt35",
        "--Dial:Upstreams:0:Models:3:InputUsdPerMTok=1", "--Dial:Upstreams:0:Models:3:OutputUsdPerMTok=2",
        // Quality only, among two failing strong models and one working weak one: the weak one answers after fallback.
        "--Dial:Profiles:fallback:Quality=1", "--Dial:Profiles:fallback:Cost=0",
        "--Dial:Profiles:fallback:Models:0=gpt-4-1106-preview", "--Dial:Profiles:fallback:Models:1=claude-v1",
        "--Dial:Profiles:fallback:Models:2=mistralai/mistral-7b-chat",
        "--Dial:Profiles:ok:Models:0=gpt-3.5-turbo-1106", "--Dial:Profiles:ok:Models:1=mistralai/mistral-7b-chat",
        "--Dial:Resilience:MaxRetries=1", "--Dial:Resilience:RetryBaseDelayMs=1", "--Dial:Router=knn",
    ];

    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public async Task Dial_serve_completes_socket_io_inline_unless_the_operator_turned_it_off(string? setting, bool inline)
    {
        var start = DialCommand(["serve", "--urls", "http://127.0.0.1:0", .. Arguments()]);
        if (setting is null) start.Environment.Remove(InlineIo.Variable);
        else start.Environment[InlineIo.Variable] = setting;
        await using var server = await GatewayProcess.StartAsync(start, TimeSpan.FromSeconds(120));
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };

        // The chat path stays on the socket threads; feedback, request lookups and health move to the pool (SQLite blocks).
        using var chat = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model": "dial/ok", "messages": [{"role": "user", "content": "inline or not"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var id = chat.Headers.GetValues("X-Dial-Request-Id").Single();
        using var feedback = await http.PostAsync("/v1/feedback", new StringContent($$"""{"request_id": "{{id}}", "score": 0.5}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/requests/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

        // Inline completions give each core its own socket thread; otherwise one thread serves up to 30 cores.
        var socketThreads = LinuxThreads.Named(server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ".NET Sockets");
        Assert.Equal(inline ? Environment.ProcessorCount : 1, socketThreads.Count);
    }

    [Fact]
    public async Task Dial_serve_speaks_to_the_official_openai_client_falls_back_and_keeps_feedback_across_a_crash()
    {
        string requestId;
        await using (var server = await StartServeAsync(Arguments()))
        {
            // The official OpenAI .NET client, unmodified, pointed at Dial.
            var openai = new OpenAI.Chat.ChatClient("dial/ok", new ApiKeyCredential("any-key"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl + "/v1") });
            ChatCompletion completion = await openai.CompleteChatAsync([new UserChatMessage("hello from the OpenAI client")]);
            Assert.Equal("echo: hello from the OpenAI client", completion.Content[0].Text);
            Assert.Contains(completion.Model, new[] { "gpt-3.5-turbo-1106", "mistralai/mistral-7b-chat" });

            var streamed = new StringBuilder();
            await foreach (var update in openai.CompleteChatStreamingAsync([new UserChatMessage("streamed through Dial")]))
                foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            Assert.Equal("echo: streamed through Dial", streamed.ToString());

            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            var (response, body) = await Http.PostAsync(http, "/v1/chat/completions", Http.Chat("dial/fallback", "which model answers?"));
            Assert.True(response.StatusCode == HttpStatusCode.OK, server.Output);
            Assert.Equal("mistralai/mistral-7b-chat", Http.Header(response, "X-Dial-Model"));
            Assert.Equal("knn", Http.Header(response, "X-Dial-Router"));
            Assert.True(int.Parse(Http.Header(response, "X-Dial-Fallbacks")) >= 1);
            Assert.Equal("gpt-4-1106-preview", body!["dial"]!["fallbacks"]![0]!["model"]!.GetValue<string>());
            requestId = Http.Header(response, "X-Dial-Request-Id");

            var (feedback, _) = await Http.PostAsync(http, "/v1/feedback", $$"""{"request_id": "{{requestId}}", "score": 0.9}""");
            Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);
            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("dial_fallbacks_total", metrics);
            Assert.DoesNotContain(FakeOpenAIServer.ApiKey, metrics);
            await server.KillAsync();
            Assert.DoesNotContain(FakeOpenAIServer.ApiKey, server.Output);
        }

        await using (var restarted = await StartServeAsync(Arguments()))
        {
            using var http = new HttpClient { BaseAddress = new Uri(restarted.BaseUrl) };
            var logged = JsonNode.Parse(await http.GetStringAsync($"/v1/requests/{requestId}"))!;
            Assert.Equal("mistralai/mistral-7b-chat", logged["model"]!.GetValue<string>());
            Assert.Equal(0.9, logged["feedback"]![0]!["score"]!.GetValue<double>());
        }
    }

    [Fact]
    public async Task Dial_serve_refuses_a_bad_configuration_with_one_line()
    {
        var start = DialCommand(["serve", "--urls", "http://127.0.0.1:0",
            $"--Dial:Store:ConnectionString={Path.Combine(env.Folder.FullName, "bad.db")}",
            "--Dial:Upstreams:0:Name=fake", "--Dial:Upstreams:0:BaseUrl=not a url", "--Dial:Upstreams:0:Models:0:Name=m"]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("BaseUrl must be an absolute http(s) URL", await stderr);
    }
}
