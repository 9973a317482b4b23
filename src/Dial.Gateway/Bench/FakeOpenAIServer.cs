using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dial.Gateway.Endpoints;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dial.Gateway.Bench;

/// <summary>
/// A tiny OpenAI-compatible chat server on 127.0.0.1 and a free port, for the load test and the tests. It answers
/// "echo: PROMPT" (streamed in three chunks when asked) and misbehaves on purpose for models named
/// <c>broken-*</c> (HTTP 503), <c>garbage-*</c> (200 with a non-JSON body), <c>refuse-*</c> (HTTP 400 with an
/// OpenAI error) and <c>cut-*</c> (a stream that stops without [DONE]). It counts calls per model.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    public const string ApiKey = "sk-fake-upstream-key-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    private FakeOpenAIServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>Base URL including /v1, as an upstream's BaseUrl.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The Authorization header values seen, so tests can check the gateway sent the upstream key.</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary>The first thousand request bodies received, so tests can check what the gateway passed on.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    public int Calls(string model) => _calls.GetValueOrDefault(model);

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeOpenAIServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    private async Task HandleAsync(HttpContext http)
    {
        // A pooled document rather than a DOM: the load test runs this upstream on the same cores as the gateway.
        using var request = await JsonDocument.ParseAsync(http.Request.Body);
        var root = request.RootElement;
        var model = root.GetProperty("model").GetString()!;
        _calls.AddOrUpdate(model, 1, (_, n) => n + 1);
        if (http.Request.Headers.Authorization.ToString() is { Length: > 0 } auth && Authorizations.Count < 1000) Authorizations.Enqueue(auth);
        if (Bodies.Count < 1000) Bodies.Enqueue(root.GetRawText());
        var messages = root.GetProperty("messages");
        var prompt = messages[messages.GetArrayLength() - 1].GetProperty("content");
        if (prompt.ValueKind != JsonValueKind.String) throw new InvalidOperationException("the fake upstream echoes only string contents");
        var stream = root.TryGetProperty("stream", out var streamFlag) && streamFlag.ValueKind == JsonValueKind.True;
        if (model.StartsWith("broken-", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 503;
            await http.Response.WriteAsync("""{"error":{"message":"overloaded","type":"server_error"}}""");
            return;
        }
        if (model.StartsWith("refuse-", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 400;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync($$$"""{"error":{"message":"context too long for key {{{ApiKey}}}","type":"invalid_request_error"}}""");
            return;
        }
        if (model.StartsWith("garbage-", StringComparison.Ordinal))
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("<html>this is not JSON</html>");
            return;
        }
        if (!stream)
        {
            http.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(http.Response.BodyWriter, GatewayJson.Writer);
            json.WriteStartObject();
            json.WriteString("id", "chatcmpl-fake");
            json.WriteString("object", "chat.completion");
            json.WriteNumber("created", 1_700_000_000);
            json.WriteString("model", model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            WriteEcho(json, prompt);
            json.WriteEndObject();
            json.WriteString("finish_reason", "stop");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", 10);
            json.WriteNumber("completion_tokens", 5);
            json.WriteNumber("total_tokens", 15);
            json.WriteEndObject();
            json.WriteEndObject();
            return;
        }
        http.Response.ContentType = "text/event-stream";
        var content = "echo: " + prompt.GetString();
        var third = Math.Max(1, content.Length / 3);
        string[] pieces = [content[..third], content[third..Math.Min(content.Length, 2 * third)], content[Math.Min(content.Length, 2 * third)..]];
        await Event(http, Chunk(model, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        foreach (var piece in pieces)
        {
            await Event(http, Chunk(model, new JsonObject { ["content"] = piece }, null));
            if (model.StartsWith("cut-", StringComparison.Ordinal)) return;
        }
        await Event(http, Chunk(model, new JsonObject(), "stop"));
        if (root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var includeUsage) && includeUsage.ValueKind == JsonValueKind.True)
        {
            var usage = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 };
            await Event(http, new JsonObject { ["id"] = "chatcmpl-fake", ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model, ["choices"] = new JsonArray(), ["usage"] = usage });
        }
        await http.Response.WriteAsync("data: [DONE]\n\n");
    }

    /// <summary>
    /// <c>"content": "echo: PROMPT"</c> from the prompt's JSON string as the client escaped it, never decoded and
    /// re-encoded: the load test's upstream answers every request, direct or through Dial, on the cores it measures.
    /// </summary>
    private static void WriteEcho(Utf8JsonWriter json, JsonElement prompt)
    {
        ReadOnlySpan<byte> opening = "\"echo: "u8;
        var quoted = JsonMarshal.GetRawUtf8Value(prompt); // the string with its quotes
        var buffer = ArrayPool<byte>.Shared.Rent(opening.Length + quoted.Length - 1);
        opening.CopyTo(buffer);
        quoted[1..].CopyTo(buffer.AsSpan(opening.Length));
        json.WritePropertyName("content"u8);
        json.WriteRawValue(buffer.AsSpan(0, opening.Length + quoted.Length - 1), skipInputValidation: true);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private static JsonObject Chunk(string model, JsonObject delta, string? finish) => new()
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
    };

    private static async Task Event(HttpContext http, JsonObject payload)
    {
        await http.Response.WriteAsync($"data: {payload.ToJsonString()}\n\n");
        await http.Response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
