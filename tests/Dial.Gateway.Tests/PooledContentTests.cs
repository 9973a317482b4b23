using System.Buffers;
using System.Net.Http.Headers;
using CommunityToolkit.HighPerformance.Buffers;
using Dial.Gateway.Upstreams;

namespace Dial.Gateway.Tests;

public sealed class PooledContentTests
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    [Fact]
    public async Task Sends_its_bytes_with_their_length()
    {
        using var content = new PooledContent(Body("{\"model\":\"m\"}"u8), Json);
        var sent = new MemoryStream();
        await content.CopyToAsync(sent);

        Assert.Equal("{\"model\":\"m\"}"u8.ToArray(), sent.ToArray());
        Assert.Equal(13, content.Headers.ContentLength);
        Assert.Equal("application/json", content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Disposed_during_a_send_keeps_its_buffer_until_the_send_ends()
    {
        var bytes = new byte[3000];
        Random.Shared.NextBytes(bytes);
        var body = Body(bytes);
        var content = new PooledContent(body, Json);
        var stream = new GatedStream();
        var sending = content.CopyToAsync(stream);
        await stream.Writing;

        content.Dispose();
        // The shared pool hands a thread the array it gave back last: had the dispose returned the buffer, this is it.
        var rented = ArrayPool<byte>.Shared.Rent(body.Capacity);
        rented.AsSpan().Fill(0xFF);
        ArrayPool<byte>.Shared.Return(rented);
        stream.Open();
        await sending;

        Assert.Equal(bytes, stream.Received);
    }

    private static ArrayPoolBufferWriter<byte> Body(ReadOnlySpan<byte> bytes)
    {
        var body = new ArrayPoolBufferWriter<byte>(bytes.Length);
        body.Write(bytes);
        return body;
    }

    /// <summary>A stream whose write holds on to the caller's memory until <see cref="Open"/>, as a slow socket does.</summary>
    private sealed class GatedStream : MemoryStream
    {
        private readonly TaskCompletionSource _writing = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Writing => _writing.Task;

        public byte[] Received { get; private set; } = [];

        public void Open() => _open.SetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writing.SetResult();
            await _open.Task;
            Received = buffer.ToArray();
        }
    }
}
