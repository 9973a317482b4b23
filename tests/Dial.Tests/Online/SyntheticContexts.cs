using Dial.Learning.Online;

namespace Dial.Tests.Online;

/// <summary>
/// A synthetic contextual problem: each prompt "p{i}" has a known feature vector whose first three
/// dimensions carry signal and the rest are small noise, so the learners' PCA keeps the signal. Tests use it
/// where the bundled tables would be slow or would hide what is being checked.
/// </summary>
internal sealed class SyntheticContexts : IPromptEncoder
{
    public const int Inputs = 10;
    public const int Signal = 3;

    private readonly Dictionary<string, float[]> _vectors = new(StringComparer.Ordinal);

    public SyntheticContexts(int prompts, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < prompts; i++)
        {
            var v = new float[Inputs];
            for (var j = 0; j < Inputs; j++) v[j] = (float)(Gaussian(random) * (j < Signal ? 1.0 : 0.05));
            _vectors[Text(i)] = v;
        }
        Prompts = Enumerable.Range(0, prompts).Select(i => new Prompt(Text(i))).ToArray();
        Features = PcaEncoder.Fit(this, Prompts.Select(p => p.Text).ToArray(), Signal);
    }

    public int Dimension => Inputs;

    public IReadOnlyList<Prompt> Prompts { get; }

    public PcaEncoder Features { get; }

    public float[] Encode(string text) => _vectors.TryGetValue(text, out var v) ? v : throw new KeyNotFoundException($"no synthetic prompt '{text}'");

    public float[] Vector(Prompt prompt) => Encode(prompt.Text);

    public static string Text(int i) => $"p{i}";

    public static ModelCard Card(string name) => new(name, "test", 1, 1);

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
