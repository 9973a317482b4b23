using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dial.Gateway.Endpoints;

/// <remarks>
/// The gateway's JSON goes to API clients and upstreams, never into an HTML page, so strings are escaped only as
/// JSON requires: the default encoder also escapes every non-ASCII and HTML-sensitive character (quotes, &lt;, &gt;,
/// &amp;, +), a slow path that prompts full of code and non-English text took on every request.
/// </remarks>
internal static class GatewayJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
