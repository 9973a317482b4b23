using System.CommandLine;
using Dial.Cli;

namespace Dial.Tests.Online;

public class SimulateCommandTests
{
    [Theory]
    [InlineData("--reference knn", "--reference must be 'dial' or 'ridge'")]
    [InlineData("--ft-learning-rate 0", "--ft-learning-rate must be positive")]
    [InlineData("--learners linucb,ucb9", "unknown learner 'ucb9'")]
    [InlineData("--learners ts,ts", "'ts' is listed twice")]
    [InlineData("--steps 0", "--steps must be at least 1")]
    [InlineData("--split validation", "--split must be 'train' or 'test'")]
    [InlineData("--cost-weight 1.5", "--cost-weight must be in [0, 1]")]
    [InlineData("--window -5", "--window must be 0")]
    [InlineData("--components 0", "--components must be at least 1")]
    [InlineData("--drift --steps 200", "--drift needs at least 400 steps")]
    [InlineData("--alpha -1", "alpha must be a finite non-negative number")]
    [InlineData("--epsilon 2", "epsilon must be in [0, 1]")]
    public void BadArgumentsGiveAClearError(string arguments, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Invoke($"simulate --data {BundledData.PathOf("routerbench.jsonl.gz")} {arguments}"));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void BadArgumentsExitWithCodeTwo()
    {
        Assert.Equal(2, CliErrors.Run(() => Invoke($"simulate --data {BundledData.PathOf("routerbench.jsonl.gz")} --seeds 0")));
        Assert.Equal(2, CliErrors.Run(() => Invoke("simulate --data no-such-table.jsonl")));
    }

    private static int Invoke(string arguments) =>
        new RootCommand { SimulateCommand.Create() }.Parse(arguments).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
