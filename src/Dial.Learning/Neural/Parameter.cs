namespace Dial.Learning.Neural;

/// <summary>A trainable matrix (or vector, with one column) and the gradient accumulated for it. Row-major.</summary>
public sealed class Parameter
{
    public Parameter(string name, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), $"parameter '{name}' must have a positive shape, got {rows}x{cols}");
        Name = name;
        Rows = rows;
        Cols = cols;
        Value = new float[rows * cols];
        Gradient = new float[rows * cols];
    }

    public string Name { get; }

    public int Rows { get; }

    public int Cols { get; }

    public float[] Value { get; }

    public float[] Gradient { get; }

    public Span<float> Row(int i) => Value.AsSpan(i * Cols, Cols);

    public Span<float> GradientRow(int i) => Gradient.AsSpan(i * Cols, Cols);

    public void ZeroGradient() => Array.Clear(Gradient);

    /// <summary>Glorot-uniform initialisation: keeps activations' variance steady through layers at the start of training.</summary>
    public Parameter InitGlorot(Random random)
    {
        return InitUniform(random, MathF.Sqrt(6f / (Rows + Cols)));
    }

    /// <summary>Uniform initial values in [-limit, limit].</summary>
    public Parameter InitUniform(Random random, float limit)
    {
        for (var i = 0; i < Value.Length; i++) Value[i] = (float)(random.NextDouble() * 2 - 1) * limit;
        return this;
    }

    public Parameter InitNormal(Random random, float std)
    {
        for (var i = 0; i < Value.Length; i++) Value[i] = std * (float)Gaussian.Sample(random);
        return this;
    }
}
