namespace Dial;

/// <summary>Turns a prompt's text into a fixed-length feature vector that routers learn from.</summary>
public interface IPromptEncoder
{
    int Dimension { get; }

    float[] Encode(string text);

    /// <summary>
    /// Encodes into a buffer of <see cref="Dimension"/> floats, so a router that sees each prompt once (the gateway)
    /// need not allocate a vector per request. Encoders without a buffer-filling path copy <see cref="Encode(string)"/>.
    /// </summary>
    void Encode(string text, Span<float> features) => Encode(text).CopyTo(features);
}
