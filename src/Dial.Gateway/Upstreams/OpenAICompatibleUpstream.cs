using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dial.Gateway.Upstreams;

/// <summary>
/// Any server that speaks OpenAI's chat completions API. Retries, breaker and timeout are applied around it
/// by the routing core; this class only translates HTTP outcomes into <see cref="UpstreamException"/>s.
/// </summary>
/// <param name="baseUrl">The API's base, ending in a slash so that <c>chat/completions</c> resolves below it (…/v1/chat/completions).</param>
/// <param name="http">
/// The upstream's long-lived handler (connections pooled and recycled), called without an <see cref="HttpClient"/>:
/// its base address, timeout and pending-request cancellation are not used here, and each cost a linked token
/// source and one more asynchronous layer per call.
/// </param>
public sealed class OpenAICompatibleUpstream(string name, Uri baseUrl, HttpMessageInvoker http, string? apiKey) : IChatUpstream
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly Uri _completions = new(baseUrl, "chat/completions");

    public string Name { get; } = name;

    public async Task<UpstreamReply> CompleteAsync(ChatCall call, CancellationToken ct)
    {
        using var request = Request(call);
        // The handler returns at the headers; the answer is parsed from the connection as it arrives, never buffered and copied first.
        using var response = await http.SendAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        }
        catch (JsonException)
        {
            throw new UpstreamException(Name, "answered with malformed JSON", transient: false);
        }
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            var problem = root.ValueKind != JsonValueKind.Object ? "answered with JSON that is not an object" : "answered without choices";
            body.Dispose();
            throw new UpstreamException(Name, problem, transient: false);
        }
        var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? u : (JsonElement?)null;
        var cost = call.Route.Card.CostUsd(Tokens(usage, "prompt_tokens") ?? EstimateTokens(call.PromptText), Tokens(usage, "completion_tokens") ?? 0);
        return new UpstreamReply(body, cost);
    }

    public async Task<UpstreamStream> OpenStreamAsync(ChatCall call, CancellationToken ct)
    {
        var request = Request(call);
        var response = await http.SendAsync(request, ct);
        try
        {
            await EnsureSuccessAsync(response, ct);
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                throw new UpstreamException(Name, $"answered a stream request with {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not text/event-stream", transient: false);
            return new HttpEventStream(Name, request, response);
        }
        catch
        {
            response.Dispose();
            request.Dispose();
            throw;
        }
    }

    private static int? Tokens(JsonElement? usage, string field) =>
        usage is { } u && u.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0 ? n : null;

    /// <summary>About four characters a token: used only when an upstream reports no usage.</summary>
    internal static int EstimateTokens(string text) => (text.Length + 3) / 4;

    private HttpRequestMessage Request(ChatCall call)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _completions) { Content = new PooledContent(call.BodyForUpstream(), JsonContentType) };
        if (apiKey is not null) request.Headers.Authorization = new("Bearer", apiKey);
        return request;
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        switch (response.StatusCode)
        {
            case HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError:
                throw new UpstreamException(Name, $"answered HTTP {status}", transient: true);
            case HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity:
                // The request itself was refused (bad parameter, context too long): the client must hear why.
                var message = await ErrorMessageAsync(response, ct);
                throw new UpstreamException(Name, $"upstream refused the request (HTTP {status}): {message}", transient: false, clientStatus: status);
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new UpstreamException(Name, $"refused the gateway's credentials (HTTP {status})", transient: false);
            default:
                // 404 and the like mean the gateway's configuration (model mapping, URL) is wrong for this upstream.
                throw new UpstreamException(Name, $"answered HTTP {status}", transient: false);
        }
    }

    private async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            var message = body?["error"]?["message"]?.GetValue<string>() ?? "no message";
            // Some providers echo a (partial) key in auth errors; never pass one on.
            return apiKey is { Length: > 0 } ? message.Replace(apiKey, "***", StringComparison.Ordinal) : message;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "no readable error message";
        }
    }

    private sealed class HttpEventStream(string upstream, HttpRequestMessage request, HttpResponseMessage response) : UpstreamStream
    {
        public override async IAsyncEnumerable<string> ReadEventsAsync([EnumeratorCancellation] CancellationToken ct)
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal)) continue; // blank separators, comments, event names
                var payload = line.AsSpan(5).Trim();
                if (payload.SequenceEqual("[DONE]")) yield break;
                yield return payload.ToString();
            }
            throw new UpstreamException(upstream, "ended the stream without [DONE]", transient: false);
        }

        public override ValueTask DisposeAsync()
        {
            response.Dispose();
            request.Dispose();
            return base.DisposeAsync();
        }
    }
}
