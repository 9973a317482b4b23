using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dial.Gateway.Endpoints;

internal static class GatewayJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
