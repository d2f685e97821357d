using System.Text;

namespace GlobalCommerce.Consumers.Tests.Blobs;

sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

// Gives some bytes, then fails: a writer interrupted mid-blob.
sealed class FailingStream(int bytesBeforeFailure) : Stream
{
    int _given;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _given; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_given >= bytesBeforeFailure)
            throw new IOException("The connection was reset.");
        var n = Math.Min(count, bytesBeforeFailure - _given);
        Array.Fill(buffer, (byte)'x', offset, n);
        _given += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

static class Bytes
{
    public static MemoryStream Of(string text) => new(Encoding.UTF8.GetBytes(text));

    public static async Task<string> ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
