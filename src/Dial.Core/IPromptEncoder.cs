namespace Dial;

/// <summary>Turns a prompt's text into a fixed-length feature vector that routers learn from.</summary>
public interface IPromptEncoder
{
    int Dimension { get; }

    float[] Encode(string text);
}
