using System.Text.Json;
using System.Text.Json.Nodes;
using Dial.Gateway.Routing;

namespace Dial.Gateway.Endpoints;

/// <summary>
/// A client's chat completion request, checked: the OpenAI body (minus Dial's own <c>dial</c> field, which no
/// upstream should see), the requested model, whether to stream, the preference, and the prompt to route on.
/// </summary>
public sealed record ChatRequest(JsonObject Body, string Model, bool Stream, Preference? Preference, string Prompt)
{
    public static async Task<ChatRequest> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        var body = await ReadObjectAsync(http, ct);
        if (body["model"] is not JsonValue model || !model.TryGetValue<string>(out var modelName) || string.IsNullOrWhiteSpace(modelName))
            throw GatewayException.BadRequest("'model' is required and must be a string, e.g. \"dial/auto\"", "model");
        var stream = body["stream"] switch
        {
            null => false,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw GatewayException.BadRequest("'stream' must be true or false", "stream"),
        };
        if (body["messages"] is not JsonArray { Count: > 0 } messages)
            throw GatewayException.BadRequest("'messages' is required and must be a non-empty array", "messages");
        for (var i = 0; i < messages.Count; i++)
            if (messages[i] is not JsonObject m || m["role"] is not JsonValue role || !role.TryGetValue<string>(out _))
                throw GatewayException.BadRequest($"messages[{i}] must be an object with a string 'role'", $"messages[{i}]");
        var preference = PreferenceReader.FromBody(body["dial"]) ?? PreferenceReader.FromHeader(http.Headers[PreferenceReader.Header]);
        body.Remove("dial");
        return new ChatRequest(body, modelName, stream, preference, PromptOf(messages));
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
            throw GatewayException.BadRequest($"the body is not valid JSON: {e.Message}", code: "invalid_json");
        }
        return node as JsonObject ?? throw GatewayException.BadRequest("the body must be a JSON object", code: "invalid_json");
    }

    /// <summary>The text routing looks at: the last user message (text parts joined), else the last message.</summary>
    private static string PromptOf(JsonArray messages)
    {
        var chosen = messages.LastOrDefault(m => m!["role"]!.GetValue<string>() == "user") ?? messages[^1];
        return chosen!["content"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonArray parts => string.Join("\n", parts.OfType<JsonObject>()
                .Select(p => p["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "text"
                    && p["text"] is JsonValue x && x.TryGetValue<string>(out var text) ? text : null)
                .OfType<string>()),
            _ => "",
        };
    }
}
