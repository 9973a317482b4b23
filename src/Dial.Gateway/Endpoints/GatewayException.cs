namespace Dial.Gateway.Endpoints;

/// <summary>
/// A failure the client should see as an OpenAI-style error: <c>{"error": {"message", "type", "param", "code"}}</c>
/// with <see cref="Status"/>. Thrown anywhere in a request; <see cref="OpenAIErrorHandler"/> writes it.
/// </summary>
public sealed class GatewayException(int status, string type, string? code, string message, string? param = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Code { get; } = code;
    public string? Param { get; } = param;

    public static GatewayException BadRequest(string message, string? param = null, string code = "invalid_request") =>
        new(400, "invalid_request_error", code, message, param);
}
