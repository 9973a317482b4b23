using System.CommandLine;
using Dial.Cli;

namespace Dial.Tests.Policy;

public sealed class PolicyCommandTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dial-cli-{Guid.NewGuid():N}.dial");

    public void Dispose() => File.Delete(_path);

    private static (int Code, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var root = new RootCommand { TrainCommand.Create(), RouteCommand.Create(), IdentityCommand.Create() };
        var code = CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = TextWriter.Null, EnableDefaultExceptionHandler = false }));
        return (code, output.ToString());
    }

    [Fact]
    public void TrainThenRoutePrintsTheDecisionAndEveryCandidate()
    {
        var (code, output) = Run("train", "--data", BundledData.PathOf("routerbench.jsonl.gz"), "--out", _path, "--epochs", "1", "--seed", "3", "--feedback", "full");
        Assert.Equal(0, code);
        Assert.Contains("trained dial-full on 2225 prompts x 11 models", output);
        Assert.Contains("3 policies", output); // the default ensemble, as dial eval measures it
        Assert.Contains("reward scale: one cost unit", output);
        Assert.Matches(@"at cost weight 0 on the training prompts: quality 0\.\d{3}, members 0\.\d{3} / 0\.\d{3} / 0\.\d{3}", output);
        Assert.True(File.Exists(_path));

        (code, output) = Run("route", "--policy", _path, "--prompt", "def add(a, b): return a + b. Write tests for it.", "--cost-weight", "0.3", "--candidates", "gpt-4-1106-preview,mistralai/mistral-7b-chat");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("decision: ", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("gpt-4-1106-preview "));
        Assert.Contains(lines, l => l.StartsWith("mistralai/mistral-7b-chat "));
    }

    [Fact]
    public void RouteRejectsABadOrMissingPolicyFile()
    {
        File.WriteAllText(_path, "not a policy");
        Assert.Equal(2, Run("route", "--policy", _path, "--prompt", "hi").Code);
        Assert.Equal(2, Run("route", "--policy", Path.Combine(Path.GetTempPath(), "no-such-policy.dial"), "--prompt", "hi").Code);
    }

    [Fact]
    public void RouteRejectsIdentitiesForAPolicyWithLearnedEmbeddings()
    {
        Assert.Equal(0, Run("train", "--data", BundledData.PathOf("routerbench.jsonl.gz"), "--out", _path, "--epochs", "1").Code);
        var identities = Path.ChangeExtension(_path, ".json");
        try
        {
            new Dial.Learning.Identity.IdentityTable([new Dial.Learning.Identity.ModelIdentity("newcomer", [1f], [1f], 5)]).Save(identities);
            Assert.Equal(2, Run("route", "--policy", _path, "--prompt", "hi", "--identities", identities, "--models", BundledData.PathOf("routerbench.models.json")).Code);
            Assert.Equal(2, Run("route", "--policy", _path, "--prompt", "hi", "--identities", identities).Code);
        }
        finally
        {
            File.Delete(identities);
        }
    }

    [Fact]
    public void APolicyTrainedOnFittedIdentitiesCarriesTheirItemModel()
    {
        var dir = Directory.CreateTempSubdirectory("dial-train-identities-").FullName;
        try
        {
            var data = BundledData.PathOf("routerbench.jsonl.gz");
            Assert.Equal(0, Run("identity", "fit", "--data", data, "--out", dir, "--dim", "2", "--epochs", "2").Code);
            var (code, output) = Run("train", "--data", data, "--out", _path, "--epochs", "1", "--identities", Path.Combine(dir, IdentityCommand.IdentitiesFile));
            Assert.Equal(0, code);
            Assert.Contains("q̂ starts from the identity model in", output);
            var policy = Dial.Learning.Policy.PolicyFile.Load(_path);
            Assert.NotNull(policy.Items);
            Assert.All(policy.Members, m => Assert.True(m.Network.HasItemPrior));

            File.Delete(Path.Combine(dir, IdentityCommand.ItemsFile));
            (code, output) = Run("train", "--data", data, "--out", _path, "--epochs", "1", "--identities", Path.Combine(dir, IdentityCommand.IdentitiesFile));
            Assert.Equal(0, code);
            Assert.Contains("q̂ learns from the identities alone", output);
            Assert.Null(Dial.Learning.Policy.PolicyFile.Load(_path).Items);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
