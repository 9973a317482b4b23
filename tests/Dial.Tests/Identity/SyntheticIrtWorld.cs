using System.Globalization;
using System.Text;
using Dial.Data;
using Dial.Learning.Identity;
using Dial.Learning.Neural;

namespace Dial.Tests.Identity;

/// <summary>An encoder that looks features up by prompt text, so synthetic worlds control features exactly.</summary>
internal sealed class LookupEncoder(IReadOnlyDictionary<string, float[]> features, int dimension) : IPromptEncoder
{
    public int Dimension { get; } = dimension;

    public float[] Encode(string text) => features[text];
}

/// <summary>
/// A routing table generated from a known item-response model: prompt features x ~ N(0, I) (times a per-prompt
/// strength), true items a(x) = A x, b(x) = w·x, identities θ_k ~ N(0, I) unless given, and outcomes drawn as
/// Bernoulli(σ(θ_k·a(x) − b(x))). The true items are also available as an exact <see cref="PromptItemModel"/>.
/// </summary>
internal sealed class SyntheticIrtWorld
{
    public SyntheticIrtWorld(int prompts, int models, int dimension, int features, int seed, double testFraction = 0.2, Func<int, double>? promptStrength = null,
        float[][]? identities = null)
    {
        var random = new Random(seed);
        Dimension = dimension;
        // Entries of A and w scaled by 1/√features keep logits of order one, where outcomes carry information.
        var scale = 1 / MathF.Sqrt(features);
        A = Matrix(dimension, features, random).Select(r => r.Select(v => v * scale).ToArray()).ToArray();
        W = Matrix(1, features, random)[0].Select(v => v * scale).ToArray();
        Theta = identities ?? Matrix(models, dimension, random);
        var byText = new Dictionary<string, float[]>();
        var lines = new StringBuilder();
        Truth = new double[prompts, models];
        for (var p = 0; p < prompts; p++)
        {
            var strength = (float)(promptStrength?.Invoke(p) ?? 1.0);
            var x = Enumerable.Range(0, features).Select(_ => strength * (float)Gaussian.Sample(random)).ToArray();
            var text = $"q{p}";
            byText[text] = x;
            var split = p < prompts * (1 - testFraction) ? "train" : "test";
            var results = new List<string>();
            for (var k = 0; k < models; k++)
            {
                Truth[p, k] = Activation.Sigmoid(Logit(x, Theta[k]));
                var score = random.NextDouble() < Truth[p, k] ? 1 : 0;
                results.Add($"\"m{k}\":{{\"score\":{score},\"cost_usd\":0}}");
            }
            lines.AppendLine($"{{\"id\":\"{text}\",\"prompt\":\"{text}\",\"split\":\"{split}\",\"results\":{{{string.Join(",", results)}}}}}");
        }
        Encoder = new LookupEncoder(byText, features);
        Table = RoutingTableReader.ReadJsonLines(new StringReader(lines.ToString()), "synthetic", null);
    }

    public int Dimension { get; }

    public float[][] A { get; }

    public float[] W { get; }

    public float[][] Theta { get; }

    /// <summary>True P(good answer) per prompt and model.</summary>
    public double[,] Truth { get; }

    public LookupEncoder Encoder { get; }

    public RoutingTable Table { get; }

    public double Logit(float[] x, float[] theta)
    {
        double z = 0;
        for (var j = 0; j < Dimension; j++) z += theta[j] * A[j].Zip(x, (a, v) => (double)a * v).Sum();
        return z - W.Zip(x, (w, v) => (double)w * v).Sum();
    }

    /// <summary>The true items as an item network: ReLU(x) and ReLU(−x) in the hidden layer recombine into exactly A x and w·x.</summary>
    public PromptItemModel TrueItems(PopulationPrior? population = null)
    {
        var f = Encoder.Dimension;
        var network = new ItemNetwork(f, 2 * f, Dimension, new Random(0));
        var p = network.Parameters.ToArray();
        var (hiddenW, hiddenB, outW, outB) = (p[0], p[1], p[2], p[3]);
        Array.Clear(hiddenW.Value);
        Array.Clear(hiddenB.Value);
        Array.Clear(outB.Value);
        for (var i = 0; i < f; i++)
        {
            hiddenW.Row(i)[i] = 1;
            hiddenW.Row(f + i)[i] = -1;
        }
        for (var j = 0; j <= Dimension; j++)
        {
            var row = j < Dimension ? A[j] : W;
            for (var i = 0; i < f; i++)
            {
                outW.Row(j)[i] = row[i];
                outW.Row(j)[f + i] = -row[i];
            }
        }
        return new PromptItemModel(Encoder, network, population);
    }

    private static float[][] Matrix(int rows, int cols, Random random) =>
        Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, cols).Select(_ => (float)Gaussian.Sample(random)).ToArray()).ToArray();

    public static string Format(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
}
