using Dial.Data;
using Dial.Evaluation;

namespace Dial.Tests.Evaluation;

public sealed class ValidationSplitTests
{
    [Fact]
    public void HoldsOutASeededFractionOfTrainAndDropsTheTestSplit()
    {
        var table = SyntheticTables.Keyword(200);
        var trainIds = table.Where(Split.Train).Prompts.Select(p => p.Id).ToHashSet();
        var validation = ValidationSplit.Of(table, 0.25, seed: 3);
        Assert.Equal(trainIds.Count, validation.PromptCount);
        Assert.All(validation.Prompts, p => Assert.Contains(p.Id, trainIds));
        var held = validation.Where(Split.Test).Prompts.Select(p => p.Id).ToArray();
        Assert.Equal(40, held.Length);
        Assert.Equal(held, ValidationSplit.Of(table, 0.25, seed: 3).Where(Split.Test).Prompts.Select(p => p.Id));
        Assert.NotEqual(held, ValidationSplit.Of(table, 0.25, seed: 4).Where(Split.Test).Prompts.Select(p => p.Id));
        var first = validation.ModelIndex("coder");
        var original = table.Prompts.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        for (var p = 0; p < validation.PromptCount; p++)
            Assert.Equal(table.Score(original[validation.Prompts[p].Id], first), validation.Score(p, first));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    public void RejectsAFractionOutsideTheOpenUnitInterval(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Of(SyntheticTables.Keyword(50), fraction, 1));

    [Fact]
    public void RejectsAFractionThatLeavesOneSideEmpty() =>
        Assert.Throws<ArgumentException>(() => ValidationSplit.Of(SyntheticTables.Keyword(20), 0.01, 1));
}
