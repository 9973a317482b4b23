using Dial.Gateway.Endpoints;

namespace Dial.Gateway.Security;

/// <summary>Requires a configured client key as <c>Authorization: Bearer KEY</c> on /v1 endpoints when keys are configured.</summary>
internal sealed class ApiKeyFilter(ClientKeys keys) : IEndpointFilter
{
    private const string ItemKey = "dial.client";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!keys.Enabled) return next(context);
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        var identity = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? keys.Find(header[bearer.Length..].Trim()) : null;
        if (identity is null)
            throw new GatewayException(401, "invalid_request_error", "invalid_api_key",
                header.Length == 0 ? "missing API key: send Authorization: Bearer KEY" : "incorrect API key provided");
        http.Items[ItemKey] = identity;
        return next(context);
    }

    public static ClientIdentity? Client(HttpContext http) => http.Items.TryGetValue(ItemKey, out var v) ? (ClientIdentity?)v : null;
}
