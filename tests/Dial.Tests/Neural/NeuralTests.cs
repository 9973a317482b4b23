using Dial.Learning.Identity;
using Dial.Learning.Neural;

namespace Dial.Tests.Neural;

public sealed class NeuralTests
{
    [Fact]
    public void TwoLayerNetworkGradientsMatchFiniteDifferences()
    {
        var random = new Random(3);
        var l1 = new Dense("l1", 5, 4, random);
        var l2 = new Dense("l2", 4, 3, random);
        var x = Enumerable.Range(0, 5).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var target = new float[] { 0.2f, -0.4f, 1f };

        double Loss()
        {
            var h = new float[4];
            var y = new float[3];
            l1.Forward(x, h);
            Activation.Relu(h);
            l2.Forward(h, y);
            return y.Select((v, i) => 0.5 * (v - target[i]) * (v - target[i])).Sum();
        }

        void Backward()
        {
            foreach (var p in l1.Parameters.Concat(l2.Parameters)) p.ZeroGradient();
            var h = new float[4];
            var y = new float[3];
            l1.Forward(x, h);
            Activation.Relu(h);
            l2.Forward(h, y);
            var dy = y.Select((v, i) => v - target[i]).ToArray();
            var dh = new float[4];
            l2.Backward(h, dy, dh);
            Activation.ReluBackward(h, dh);
            l1.Backward(x, dh, Span<float>.Empty);
        }

        GradientCheck.AssertGradientsMatch(l1.Parameters.Concat(l2.Parameters), Loss, Backward);
    }

    [Fact]
    public void AdamFitsALinearMap()
    {
        var random = new Random(1);
        var layer = new Dense("fit", 2, 1, random);
        var adam = new Adam(layer.Parameters, learningRate: 0.05f);
        var y = new float[1];
        for (var step = 0; step < 2000; step++)
        {
            float[] x = [(float)random.NextDouble(), (float)random.NextDouble()];
            layer.Forward(x, y);
            layer.Backward(x, [y[0] - (3 * x[0] - 2 * x[1] + 0.5f)], Span<float>.Empty);
            adam.Step();
        }
        Assert.Equal(3f, layer.Weight.Value[0], 1);
        Assert.Equal(-2f, layer.Weight.Value[1], 1);
        Assert.Equal(0.5f, layer.Bias.Value[0], 1);
        Assert.All(layer.Weight.Gradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void SoftmaxIsStableForLargeLogits()
    {
        var p = new float[3];
        Activation.Softmax([1000f, 1000f, -1000f], p);
        Assert.Equal(0.5f, p[0], 5);
        Assert.Equal(0f, p[2], 5);
    }

    [Fact]
    public void ParameterFileRejectsAMismatchedNetwork()
    {
        var a = new Dense("a", 3, 2, new Random(1));
        using var stream = new MemoryStream();
        ParameterFile.Write(new BinaryWriter(stream), a.Parameters.ToArray());
        stream.Position = 0;
        var b = new Dense("a", 3, 2, new Random(2));
        ParameterFile.Read(new BinaryReader(stream), b.Parameters.ToArray(), "mem");
        Assert.Equal(a.Weight.Value, b.Weight.Value);
        stream.Position = 0;
        var c = new Dense("a", 4, 2, new Random(2));
        var e = Assert.Throws<InvalidDataException>(() => ParameterFile.Read(new BinaryReader(stream), c.Parameters.ToArray(), "mem"));
        Assert.Contains("does not match", e.Message);
    }

    [Fact]
    public void IdentityTableRoundTripsAndRejectsMixedDimensions()
    {
        var table = new IdentityTable([new ModelIdentity("m", [0.5f, -1f], [0.1f, 0.2f], 20)]);
        Assert.Throws<ArgumentException>(() => table.Set(new ModelIdentity("n", [1f], [1f], 1)));
        Assert.Throws<ArgumentException>(() => table.Set(new ModelIdentity("n", [1f, 2f], [0f, 1f], 1)));
        var path = Path.GetTempFileName();
        try
        {
            table.Save(path);
            var loaded = IdentityTable.Load(path);
            Assert.Equal(table["m"].Mean, loaded["m"].Mean);
            Assert.Equal(20, loaded["m"].Evidence);
            Assert.Throws<KeyNotFoundException>(() => loaded["other"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
