namespace Dial.Gateway.Upstreams;

/// <summary>
/// An upstream did not give a usable answer. <see cref="Transient"/> failures are retried on the same upstream;
/// other upstream faults move on to the next candidate; a client error (the request itself was refused) is
/// returned to the client with <see cref="ClientStatus"/>, since another model would refuse it too.
/// Messages never contain upstream keys or URLs.
/// </summary>
public sealed class UpstreamException(string upstream, string message, bool transient, int? clientStatus = null) : Exception(message)
{
    public string Upstream { get; } = upstream;
    public bool Transient { get; } = transient;
    public int? ClientStatus { get; } = clientStatus;
    public bool IsClientError => ClientStatus is not null;
}
