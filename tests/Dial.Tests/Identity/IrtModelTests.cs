using Dial.Data;
using Dial.Learning.Identity;
using Dial.Learning.Neural;
using Dial.Tests.Neural;
using MathNet.Numerics.LinearAlgebra;

namespace Dial.Tests.Identity;

public sealed class IrtModelTests
{
    [Fact]
    public void ElboGradientsMatchFiniteDifferences()
    {
        // Soft labels and a missing cell, so both paths of the likelihood are checked.
        var lines = string.Join("\n", Enumerable.Range(0, 6).Select(p =>
            $"{{\"id\":\"q{p}\",\"prompt\":\"q{p}\",\"split\":\"train\",\"results\":{{\"m0\":{{\"score\":{0.1 * p},\"cost_usd\":0}},\"m1\":{{\"score\":{(p % 2)},\"cost_usd\":0}}"
            + (p == 3 ? "" : $",\"m2\":{{\"score\":{0.9 - 0.1 * p},\"cost_usd\":0}}") + "}}"));
        var table = RoutingTableReader.ReadJsonLines(new StringReader(lines), "gradient", null);
        var random = new Random(5);
        var features = Enumerable.Range(0, 6).ToDictionary(p => $"q{p}", _ => Enumerable.Range(0, 5).Select(_ => (float)Gaussian.Sample(random)).ToArray());
        var data = new ObservedCells(table, new LookupEncoder(features, 5));
        var network = new ItemNetwork(5, 4, 3, random);
        var identities = new VariationalIdentities(3, 3, random, initialMeanStd: 0.8f, initialStd: 0.5f);
        var elbo = new IrtElbo(network, identities, data);
        var epsilon = Enumerable.Range(0, 9).Select(_ => (float)Gaussian.Sample(random)).ToArray();
        int[] batch = [0, 2, 3, 5];

        GradientCheck.AssertGradientsMatch(
            network.Parameters.Concat(identities.Parameters),
            () => elbo.Loss(batch, epsilon, accumulateGradients: false),
            () =>
            {
                elbo.ZeroGradients();
                elbo.Loss(batch, epsilon, accumulateGradients: true);
            });
    }

    [Fact]
    public void RecoversPlantedIdentitiesUpToALinearMap()
    {
        var world = new SyntheticIrtWorld(prompts: 700, models: 12, dimension: 2, features: 8, seed: 11);
        var train = world.Table.Where(Split.Train);
        var irt = IrtModel.Fit(train, world.Encoder, new IrtFitOptions(Dimension: 2, Hidden: 16, Epochs: 60, WeightDecay: 0f));

        // Predictions on unseen prompts track the true probabilities.
        var test = world.Table.Where(Split.Test);
        var errors = new List<double>();
        for (var p = 0; p < test.PromptCount; p++)
        {
            var prompt = new Prompt(test.Prompts[p].Text);
            var index = int.Parse(test.Prompts[p].Id[1..]);
            for (var k = 0; k < 12; k++) errors.Add(Math.Abs(irt.Probability(prompt, $"m{k}") - world.Truth[index, k]));
        }
        Assert.True(errors.Average() < 0.1, $"mean absolute error of predicted probabilities {errors.Average():F3}");

        // θ·a is only identified up to an invertible linear map, so regress the true identities on the learned ones.
        var learned = Matrix<double>.Build.DenseOfRowArrays(Enumerable.Range(0, 12).Select(k => irt.Identities[$"m{k}"].Mean.Select(v => (double)v).Append(1).ToArray()));
        var truth = Matrix<double>.Build.DenseOfRowArrays(world.Theta.Select(t => t.Select(v => (double)v).ToArray()));
        var fitted = learned * learned.QR().Solve(truth);
        var residual = (truth - fitted).FrobeniusNorm();
        var centred = (truth - Matrix<double>.Build.Dense(12, 2, (_, j) => truth.Column(j).Average())).FrobeniusNorm();
        var r2 = 1 - residual * residual / (centred * centred);
        Assert.True(r2 > 0.85, $"R² of true identities on learned ones {r2:F3}");
    }

    [Fact]
    public void FittingIsDeterministicGivenTheSeedAndStandardisesIdentities()
    {
        var world = new SyntheticIrtWorld(prompts: 120, models: 6, dimension: 2, features: 6, seed: 3);
        var options = new IrtFitOptions(Dimension: 2, Hidden: 8, Epochs: 5);
        var a = IrtModel.Fit(world.Table, world.Encoder, options);
        var b = IrtModel.Fit(world.Table, world.Encoder, options);
        var c = IrtModel.Fit(world.Table, world.Encoder, options with { Seed = 2 });
        Assert.Equal(a.Identities["m3"].Mean, b.Identities["m3"].Mean);
        Assert.NotEqual(a.Identities["m3"].Mean, c.Identities["m3"].Mean);
        for (var j = 0; j < 2; j++)
        {
            var column = a.Identities.All.Select(i => (double)i.Mean[j]).ToArray();
            Assert.Equal(0, column.Average(), 4);
            Assert.Equal(1, Math.Sqrt(column.Sum(v => v * v) / (column.Length - 1)), 3);
        }
        Assert.All(a.Identities.All, i => Assert.Equal(120, i.Evidence));
    }

    [Fact]
    public void StandardisingTheIdentitySpaceLeavesPredictionsUnchanged()
    {
        var random = new Random(4);
        var network = new ItemNetwork(5, 6, 3, random);
        var identities = new VariationalIdentities(4, 3, random, initialMeanStd: 2f, initialStd: 0.3f);
        var x = Enumerable.Range(0, 5).Select(_ => (float)Gaussian.Sample(random)).ToArray();
        double Predict(int k) => network.Forward(x, new float[6]).Probability(identities.Identity(k, "m", 1));
        var before = Enumerable.Range(0, 4).Select(Predict).ToArray();
        var (shift, scale) = identities.Standardise();
        network.ShiftAndScaleIdentitySpace(shift, scale);
        var after = Enumerable.Range(0, 4).Select(Predict).ToArray();
        for (var k = 0; k < 4; k++) Assert.Equal(before[k], after[k], 5);
    }

    [Fact]
    public void ItemModelRoundTripsThroughItsFileAndRejectsOtherFiles()
    {
        var table = BundledData.AlpacaEval.Where(Split.Train).SelectPrompts(Enumerable.Range(0, 40));
        var encoder = Dial.Features.HashedTfidfEncoder.Fit(table.Prompts.Select(p => p.Text), 64);
        var irt = IrtModel.Fit(table, encoder, new IrtFitOptions(Dimension: 3, Hidden: 4, Epochs: 2));
        var path = Path.GetTempFileName();
        try
        {
            irt.Items.Save(path);
            var loaded = PromptItemModel.Load(path);
            var prompt = new Prompt("Write a haiku about routers.");
            Assert.Equal(irt.Items.ItemOf(prompt).A, loaded.ItemOf(prompt).A);
            Assert.Equal(irt.Items.ItemOf(prompt).B, loaded.ItemOf(prompt).B);
            Assert.Equal(irt.Items.Population.Mean, loaded.Population.Mean);
            Assert.Equal(irt.Items.Population.Factor, loaded.Population.Factor);
            Assert.Equal(irt.Items.Population.Spread, loaded.Population.Spread);
            File.WriteAllText(path, "not a model");
            Assert.Throws<InvalidDataException>(() => PromptItemModel.Load(path));
            using (var w = new BinaryWriter(File.Create(path))) w.Write("DIAL-IRT-ITEMS-2");
            Assert.Contains("refit it", Assert.Throws<InvalidDataException>(() => PromptItemModel.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RejectsBadInputs()
    {
        var world = new SyntheticIrtWorld(prompts: 20, models: 3, dimension: 2, features: 4, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => IrtModel.Fit(world.Table, world.Encoder, new IrtFitOptions(Dimension: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => IrtModel.Fit(world.Table, world.Encoder, new IrtFitOptions(Epochs: 0)));
        var other = world.Table.SelectModels(["m0", "m1"]);
        Assert.Throws<ArgumentException>(() => IrtModel.Fit(world.Table, world.Encoder, new IrtFitOptions(Epochs: 1), other));
        Assert.Throws<ArgumentException>(() => IrtModel.Fit(world.Table.SelectPrompts([]), world.Encoder));
        Assert.Throws<ArgumentException>(() => new PromptItemModel(world.Encoder, new ItemNetwork(5, 2, 2, new Random(1))));
    }
}
