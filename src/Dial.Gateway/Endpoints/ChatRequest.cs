using System.Text.Json;
using System.Text.Json.Nodes;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Endpoints;

/// <summary>
/// A client's chat completion request, checked: the OpenAI body as parsed (Dial's own <c>dial</c> field is left out
/// when it is passed on), the requested model, whether to stream, the preference, and the prompt to route on.
/// The body is a pooled document, not a DOM, and is passed to upstreams as its raw bytes: dispose the request when
/// its upstream calls are done.
/// </summary>
public sealed class ChatRequest(JsonDocument document, string model, bool stream, Preference? preference, string prompt) : IDisposable
{
    /// <summary>The request's JSON object; valid until the request is disposed.</summary>
    public JsonElement Body => document.RootElement;

    public string Model { get; } = model;

    public bool Stream { get; } = stream;

    public Preference? Preference { get; } = preference;

    public string Prompt { get; } = prompt;

    public static async Task<ChatRequest> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        var document = await ReadDocumentAsync(http, ct);
        try
        {
            var body = document.RootElement;
            if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
                throw GatewayException.BadRequest("'model' is required and must be a string, e.g. \"dial/auto\"", "model");
            var stream = !body.TryGetProperty("stream", out var s) ? false : s.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                _ => throw GatewayException.BadRequest("'stream' must be true or false", "stream"),
            };
            if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
                throw GatewayException.BadRequest("'messages' is required and must be a non-empty array", "messages");
            var i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                    throw GatewayException.BadRequest($"messages[{i}] must be an object with a string 'role'", $"messages[{i}]");
                i++;
            }
            var preference = (body.TryGetProperty("dial", out var dial) ? PreferenceReader.FromBody(JsonSerializer.SerializeToNode(dial)) : null)
                ?? PreferenceReader.FromHeader(http.Headers[PreferenceReader.Header]);
            return new ChatRequest(document, model.GetString()!, stream, preference, PromptOf(messages));
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The request as an upstream must see it: every field but <c>dial</c> copied as its raw JSON (no re-encoding of
    /// the messages), and <c>model</c> set to the upstream's own name for the model.
    /// </summary>
    public void WriteForUpstream(Utf8JsonWriter writer, string upstreamModel)
    {
        writer.WriteStartObject();
        foreach (var property in Body.EnumerateObject())
        {
            if (property.NameEquals("model"u8) || property.NameEquals("dial"u8)) continue;
            writer.WritePropertyName(property.Name);
            writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
        }
        writer.WriteString("model"u8, upstreamModel);
        writer.WriteEndObject();
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest http, CancellationToken ct)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(http.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw InvalidJson(e);
        }
        return node as JsonObject ?? throw NotAnObject();
    }

    private static async Task<JsonDocument> ReadDocumentAsync(HttpRequest http, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw InvalidJson(e);
        }
        if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
        document.Dispose();
        throw NotAnObject();
    }

    private static GatewayException InvalidJson(JsonException e) => GatewayException.BadRequest($"the body is not valid JSON: {e.Message}", code: "invalid_json");

    private static GatewayException NotAnObject() => GatewayException.BadRequest("the body must be a JSON object", code: "invalid_json");

    /// <summary>The text routing looks at: the last user message (text parts joined), else the last message.</summary>
    private static string PromptOf(JsonElement messages)
    {
        JsonElement? chosen = null;
        foreach (var m in messages.EnumerateArray())
            if (m.GetProperty("role").ValueEquals("user"u8)) chosen = m;
        var message = chosen ?? messages[messages.GetArrayLength() - 1];
        if (!message.TryGetProperty("content", out var content)) return "";
        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Join("\n", content.EnumerateArray()
                .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.ValueEquals("text"u8)
                    && p.TryGetProperty("text", out var x) && x.ValueKind == JsonValueKind.String)
                .Select(p => p.GetProperty("text").GetString()!)),
            _ => "",
        };
    }

    public void Dispose() => document.Dispose();
}
