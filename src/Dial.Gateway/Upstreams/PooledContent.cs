using System.Net;
using System.Net.Http.Headers;
using CommunityToolkit.HighPerformance.Buffers;

namespace Dial.Gateway.Upstreams;

/// <summary>
/// A request body held in a buffer rented from the shared array pool: the upstream's copy of a client's request, prompt
/// included, was otherwise the largest allocation of a routed request. The buffer goes back to the pool only once the
/// content is disposed and no send is still reading it, so a send cut short by a failure can never read a buffer that
/// another request has rented since.
/// </summary>
internal sealed class PooledContent : HttpContent
{
    private readonly ArrayPoolBufferWriter<byte> _body;
    private int _holders = 1; // the content itself, and each send in progress
    private bool _disposed;

    /// <param name="body">The bytes to send; the content owns the buffer from now on.</param>
    public PooledContent(ArrayPoolBufferWriter<byte> body, MediaTypeHeaderValue contentType)
    {
        _body = body;
        Headers.ContentType = contentType;
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _holders) == 1) throw new ObjectDisposedException(nameof(PooledContent));
        try
        {
            await stream.WriteAsync(_body.WrittenMemory, cancellationToken);
        }
        finally
        {
            Release();
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = _body.WrittenCount;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        // Disposed by the request message and by whoever else holds the content; the pool must get the buffer once.
        if (disposing && !_disposed)
        {
            _disposed = true;
            Release();
        }
        base.Dispose(disposing);
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0) _body.Dispose();
    }
}
