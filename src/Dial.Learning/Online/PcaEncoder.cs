using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Dial.Learning.Online;

/// <summary>
/// The online learners' features: a prompt encoder's vector projected on its top principal components,
/// whitened to unit variance on the training prompts.
/// <para>
/// Why: a linear bandit keeps a d x d inverse per model and updates it in O(d^2). On the raw 1024-d TF-IDF
/// vector that is 8 MB and a million multiply-adds per model per observation, and with a few thousand
/// requests most of those 1024 directions would never be seen often enough to estimate. The training prompts
/// (which the encoder is fitted on anyway) show where prompts actually vary: 16 to 32 principal components keep
/// the task structure a router needs, make each update a few thousand flops, and let one ridge prior (lambda times
/// the identity) mean the same in every direction because each component has unit variance. A seeded random
/// projection would need no training prompts but spends its few dimensions on directions the prompts do not
/// use. The components are found by a randomised range finder (Halko, Martinsson and Tropp 2011) so fitting
/// takes well under a second, not a full 1024 x 1024 eigen-decomposition. On RouterBench's train split, replay
/// gave the same reward with 8, 16 and 32 components and less with 64 (more weights to learn per model from
/// bandit feedback); 16 is the default.
/// </para>
/// </summary>
public sealed class PcaEncoder : IPromptEncoder
{
    private const string Magic = "DIAL-PCA-1";
    private const int Oversampling = 10;
    private const int PowerIterations = 2;

    private readonly double[] _mean;
    private readonly double[] _components;

    private PcaEncoder(IPromptEncoder text, double[] mean, double[] components, int count)
    {
        Text = text;
        _mean = mean;
        _components = components;
        Dimension = count;
    }

    /// <summary>The encoder whose vectors are projected.</summary>
    public IPromptEncoder Text { get; }

    public int Dimension { get; }

    /// <summary>Finds the top <paramref name="components"/> principal directions of the training prompts' vectors.</summary>
    public static PcaEncoder Fit(IPromptEncoder text, IReadOnlyList<string> trainingPrompts, int components = 16, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (components < 1) throw new ArgumentOutOfRangeException(nameof(components), components, "need at least one principal component");
        if (trainingPrompts.Count <= components)
            throw new ArgumentException($"{components} principal components need more than {components} training prompts, got {trainingPrompts.Count}", nameof(trainingPrompts));
        var inputs = text.Dimension;
        if (components >= inputs)
            throw new ArgumentOutOfRangeException(nameof(components), components, $"the encoder has only {inputs} dimensions");

        var n = trainingPrompts.Count;
        var vectors = trainingPrompts.Select(text.Encode).ToArray();
        var mean = new double[inputs];
        foreach (var v in vectors)
            for (var j = 0; j < inputs; j++) mean[j] += v[j];
        for (var j = 0; j < inputs; j++) mean[j] /= n;
        var x = Matrix<double>.Build.Dense(n, inputs, (i, j) => vectors[i][j] - mean[j]);

        // Randomised range finder: an orthonormal basis Q of (nearly) the top singular subspace of X.
        var sketch = Math.Min(Math.Min(components + Oversampling, inputs), n);
        var omega = Matrix<double>.Build.Random(inputs, sketch, new Normal(0, 1, new Random(seed)));
        var q = (x * omega).QR(QRMethod.Thin).Q;
        for (var it = 0; it < PowerIterations; it++)
        {
            var z = x.TransposeThisAndMultiply(q).QR(QRMethod.Thin).Q;
            q = (x * z).QR(QRMethod.Thin).Q;
        }
        // X ~ Q B with B small; B B^T's eigenvectors give the left singular vectors, B^T u / s the right ones.
        var b = q.TransposeThisAndMultiply(x);
        var evd = (b * b.Transpose()).Evd(Symmetricity.Symmetric);
        var rows = new double[components * inputs];
        for (var c = 0; c < components; c++)
        {
            var k = sketch - 1 - c; // eigenvalues come in ascending order
            var s2 = evd.EigenValues[k].Real;
            if (!(s2 > 1e-12 * n))
                throw new ArgumentException($"the training prompts' vectors span only {c} directions; ask for fewer than {components} components", nameof(trainingPrompts));
            var direction = b.TransposeThisAndMultiply(evd.EigenVectors.Column(k)) / Math.Sqrt(s2);
            // Whitening: divide by the component's standard deviation over the training prompts.
            var scale = 1.0 / Math.Sqrt(s2 / (n - 1));
            for (var j = 0; j < inputs; j++) rows[c * inputs + j] = direction[j] * scale;
        }
        return new PcaEncoder(text, mean, rows, components);
    }

    public float[] Encode(string text)
    {
        var v = Text.Encode(text);
        var inputs = _mean.Length;
        var centred = new double[inputs];
        for (var j = 0; j < inputs; j++) centred[j] = v[j] - _mean[j];
        var result = new float[Dimension];
        for (var c = 0; c < Dimension; c++)
        {
            var row = _components.AsSpan(c * inputs, inputs);
            double s = 0;
            for (var j = 0; j < inputs; j++) s += row[j] * centred[j];
            result[c] = (float)s;
        }
        return result;
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Magic);
        w.Write(_mean.Length);
        w.Write(Dimension);
        foreach (var m in _mean) w.Write(m);
        foreach (var c in _components) w.Write(c);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="text"/> must be the encoder it was fitted on.</summary>
    public static PcaEncoder Read(BinaryReader r, IPromptEncoder text)
    {
        if (r.ReadString() != Magic) throw new InvalidDataException($"not a Dial PCA projection (expected header '{Magic}')");
        var inputs = r.ReadInt32();
        var count = r.ReadInt32();
        if (inputs != text.Dimension)
            throw new InvalidDataException($"the projection was fitted on {inputs}-d prompt vectors but the given encoder makes {text.Dimension}-d ones");
        if (count < 1 || count >= inputs) throw new InvalidDataException($"invalid number of principal components {count}");
        var mean = new double[inputs];
        for (var j = 0; j < inputs; j++) mean[j] = r.ReadDouble();
        var rows = new double[count * inputs];
        for (var j = 0; j < rows.Length; j++) rows[j] = r.ReadDouble();
        return new PcaEncoder(text, mean, rows, count);
    }
}
