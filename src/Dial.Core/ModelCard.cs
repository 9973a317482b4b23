namespace Dial;

/// <summary>What Dial knows about one model before it has routed anything to it.</summary>
/// <param name="Name">The name requests and routing tables use for the model.</param>
/// <param name="InputUsdPerMTok">List price of input tokens, USD per million.</param>
/// <param name="OutputUsdPerMTok">List price of output tokens, USD per million.</param>
/// <param name="ParamsB">Parameter count in billions, where public.</param>
/// <param name="MedianLatencyMs">Typical end-to-end latency of one call, where measured.</param>
public sealed record ModelCard(
    string Name,
    string Provider,
    double InputUsdPerMTok,
    double OutputUsdPerMTok,
    double? ParamsB = null,
    bool? OpenWeights = null,
    double? MedianLatencyMs = null)
{
    /// <summary>Throws when a field is outside its domain; <paramref name="where"/> names the source for the message.</summary>
    public void Validate(string where)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException($"{where}: model card has an empty name");
        CheckPrice(InputUsdPerMTok, "input_usd_per_mtok", where);
        CheckPrice(OutputUsdPerMTok, "output_usd_per_mtok", where);
        if (ParamsB is { } p && !(p > 0 && double.IsFinite(p)))
            throw new ArgumentException($"{where}: model '{Name}' field params_b must be a positive number, got {p}");
        if (MedianLatencyMs is { } l && !(l >= 0 && double.IsFinite(l)))
            throw new ArgumentException($"{where}: model '{Name}' field median_latency_ms must be non-negative, got {l}");
    }

    /// <summary>Price of a call, from token counts and list prices.</summary>
    public double CostUsd(int inputTokens, int outputTokens) =>
        (inputTokens * InputUsdPerMTok + outputTokens * OutputUsdPerMTok) / 1_000_000.0;

    private void CheckPrice(double value, string field, string where)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentException($"{where}: model '{Name}' field {field} must be a non-negative number, got {value}");
    }
}
