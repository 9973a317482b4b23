using Dial.Learning.Online;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Tests.Online;

public class PcaEncoderTests
{
    [Fact]
    public void ComponentsAreWhitenedAndUncorrelatedOnTheTrainingPrompts()
    {
        var contexts = new SyntheticContexts(600, seed: 1);
        var z = Matrix<double>.Build.DenseOfRowArrays(contexts.Prompts.Select(p => contexts.Features.Encode(p.Text).Select(f => (double)f).ToArray()));
        var mean = z.ColumnSums() / z.RowCount;
        for (var j = 0; j < z.ColumnCount; j++) Assert.True(Math.Abs(mean[j]) < 1e-5, $"component {j} mean {mean[j]}");
        var centred = z - Matrix<double>.Build.Dense(z.RowCount, z.ColumnCount, (_, j) => mean[j]);
        var covariance = centred.TransposeThisAndMultiply(centred) / (z.RowCount - 1);
        for (var i = 0; i < z.ColumnCount; i++)
            for (var j = 0; j < z.ColumnCount; j++)
                Assert.True(Math.Abs(covariance[i, j] - (i == j ? 1 : 0)) < 1e-3, $"covariance[{i},{j}] = {covariance[i, j]}");
    }

    [Fact]
    public void ProjectionKeepsTheDirectionsOfLargestVariance()
    {
        var contexts = new SyntheticContexts(600, seed: 2);
        var x = Matrix<double>.Build.DenseOfRowArrays(contexts.Prompts.Select(p => contexts.Vector(p).Select(f => (double)f).ToArray()));
        var mean = x.ColumnSums() / x.RowCount;
        var centred = x - Matrix<double>.Build.Dense(x.RowCount, x.ColumnCount, (_, j) => mean[j]);
        var top = centred.TransposeThisAndMultiply(centred).Evd().EigenVectors.SubMatrix(0, SyntheticContexts.Inputs, SyntheticContexts.Inputs - SyntheticContexts.Signal, SyntheticContexts.Signal);

        // Encoding the top eigenvectors' span and its complement: the complement must map to (nearly) nothing.
        var noise = Matrix<double>.Build.DenseIdentity(SyntheticContexts.Inputs) - top * top.Transpose();
        var encoder = new SyntheticOffset(contexts, noise.Row(SyntheticContexts.Inputs - 1) * 1.0, mean);
        var leak = encoder.Features.Encode("probe").Select(f => Math.Abs((double)f)).Max();
        Assert.True(leak < 1e-3, $"a direction outside the top components still moved the projection by {leak}");
    }

    [Fact]
    public void RefusesMoreComponentsThanPromptsOrDimensions()
    {
        var contexts = new SyntheticContexts(20, seed: 3);
        var texts = contexts.Prompts.Select(p => p.Text).ToArray();
        Assert.Contains("training prompts", Assert.Throws<ArgumentException>(() => PcaEncoder.Fit(contexts, texts[..5], 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PcaEncoder.Fit(contexts, texts, SyntheticContexts.Inputs));
    }

    [Fact]
    public void WriteAndReadGiveTheSameVectors()
    {
        var contexts = new SyntheticContexts(100, seed: 4);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) contexts.Features.Write(w);
        stream.Position = 0;
        var read = PcaEncoder.Read(new BinaryReader(stream), contexts);
        foreach (var p in contexts.Prompts.Take(10)) Assert.Equal(contexts.Features.Encode(p.Text), read.Encode(p.Text));
    }

    /// <summary>Encodes one extra probe prompt at the training mean plus a given direction, through the same fitted projection.</summary>
    private sealed class SyntheticOffset : IPromptEncoder
    {
        private readonly SyntheticContexts _inner;
        private readonly float[] _probe;

        public SyntheticOffset(SyntheticContexts inner, Vector<double> direction, Vector<double> mean)
        {
            _inner = inner;
            _probe = (mean + direction).Select(v => (float)v).ToArray();
            using var stream = new MemoryStream();
            using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) inner.Features.Write(w);
            stream.Position = 0;
            Features = PcaEncoder.Read(new BinaryReader(stream), this);
        }

        public PcaEncoder Features { get; }

        public int Dimension => SyntheticContexts.Inputs;

        public float[] Encode(string text) => text == "probe" ? _probe : _inner.Encode(text);
    }
}
