using System.Text.Json;
using System.Text.Json.Serialization;
using Dial.Gateway.Telemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Dial.Gateway.Endpoints;

/// <summary>OpenAI's error body. Clients (the official SDKs included) read <c>error.message</c> and <c>error.code</c>.</summary>
public sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

public sealed record OpenAIErrorBody([property: JsonPropertyName("error")] OpenAIError Error);

/// <summary>
/// Turns every exception that escapes an endpoint into OpenAI's error JSON, the way ProblemDetails does for
/// ASP.NET Core, so a client never sees an HTML page or a stack trace and the server keeps serving.
/// </summary>
internal sealed class OpenAIErrorHandler(GatewayMetrics metrics, ILogger<OpenAIErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested) return true; // the client left
        var error = Classify(exception);
        if (error.Status >= 500) logger.LogError(exception, "request failed: {Message}", error.Message);
        metrics.Error(error.Type);
        if (context.Response.HasStarted) return true; // a stream already under way ends where it is
        context.Response.StatusCode = error.Status;
        if (context.Items.TryGetValue(ChatCompletionsHandler.RequestIdHeader, out var id)) context.Response.Headers[ChatCompletionsHandler.RequestIdHeader] = (string)id!;
        await WriteAsync(context.Response, error.Status, error.Type, error.Code, error.Message, error.Param, cancellationToken);
        return true;
    }

    public static Task WriteAsync(HttpResponse response, int status, string type, string? code, string message, string? param, CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(response.Body, new OpenAIErrorBody(new OpenAIError(message, type, param, code)), GatewayJson.Options, ct);
    }

    /// <summary>Status codes Kestrel and routing set without an exception (404 route, 405 method) also get the OpenAI shape.</summary>
    public static Task WriteStatusAsync(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        var (type, message) = response.StatusCode switch
        {
            404 => ("invalid_request_error", $"no route {context.HttpContext.Request.Method} {context.HttpContext.Request.Path}"),
            405 => ("invalid_request_error", $"method {context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}"),
            413 => ("invalid_request_error", "request body too large"),
            _ => ("api_error", $"status {response.StatusCode}"),
        };
        return WriteAsync(response, response.StatusCode, type, null, message, null, context.HttpContext.RequestAborted);
    }

    private static GatewayException Classify(Exception e) => e switch
    {
        GatewayException g => g,
        BadHttpRequestException { StatusCode: 413 } => new GatewayException(413, "invalid_request_error", "request_too_large", "request body too large"),
        BadHttpRequestException b => new GatewayException(b.StatusCode, "invalid_request_error", null, b.Message),
        _ => new GatewayException(500, "api_error", "internal_error", "the gateway failed to handle the request; see its log"),
    };
}

/// <summary>The body size limit from configuration: refused up front by Content-Length, and enforced by Kestrel while reading otherwise.</summary>
internal static class RequestLimits
{
    public static void Apply(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
            throw new GatewayException(413, "invalid_request_error", "request_too_large", $"request body of {context.Request.ContentLength} bytes is over the limit of {maxBytes}");
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = maxBytes;
    }
}
