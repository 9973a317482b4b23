using System.Globalization;
using System.Text.Json.Nodes;
using Dial.Gateway.Endpoints;

namespace Dial.Gateway.Routing;

/// <summary>
/// Reads a request's own trade-off: the body field <c>"dial": {"quality": 0.7, "cost": 0.3, "latency": 0}</c>
/// or the header <c>X-Dial-Preference: quality=0.7,cost=0.3,latency=0</c> (the body wins). Weights left out are 0.
/// </summary>
public static class PreferenceReader
{
    public const string Header = "X-Dial-Preference";

    private static readonly string[] Weights = ["quality", "cost", "latency"];

    public static Preference? FromBody(JsonNode? dial)
    {
        if (dial is null) return null;
        if (dial is not JsonObject obj) throw GatewayException.BadRequest("'dial' must be an object such as {\"quality\": 0.7, \"cost\": 0.3}", "dial", "invalid_preference");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, node) in obj)
        {
            var param = $"dial.{name}";
            if (!Weights.Contains(name)) throw GatewayException.BadRequest($"unknown preference weight '{name}'; use quality, cost, latency", param, "invalid_preference");
            if (node is not JsonValue v || !v.TryGetValue<double>(out var w))
                throw GatewayException.BadRequest($"preference weight '{name}' must be a number", param, "invalid_preference");
            values[name] = w;
        }
        return Build(values, "dial");
    }

    public static Preference? FromHeader(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq].Trim();
            if (eq < 0 || !Weights.Contains(name))
                throw GatewayException.BadRequest($"header {Header}: '{part}' is not quality=, cost= or latency= followed by a number", Header, "invalid_preference");
            if (!double.TryParse(part[(eq + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var w))
                throw GatewayException.BadRequest($"header {Header}: weight '{name}' is not a number", Header, "invalid_preference");
            values[name] = w;
        }
        return Build(values, Header);
    }

    private static Preference Build(Dictionary<string, double> values, string param)
    {
        try
        {
            return new Preference(values.GetValueOrDefault("quality"), values.GetValueOrDefault("cost"), values.GetValueOrDefault("latency"));
        }
        catch (ArgumentException e)
        {
            throw GatewayException.BadRequest($"invalid preference: {e.Message.Split(" (Parameter")[0]}", param, "invalid_preference");
        }
    }
}
