using System.Net;
using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Policy;

namespace Dial.Gateway.Tests;

/// <summary><c>Dial:PolicyFile</c> (<c>dial serve --policy</c>): the gateway routes with a policy saved by <c>dial train</c> instead of training one.</summary>
public sealed class PolicyFileTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dial-policy-");

    [Fact]
    public async Task Gateway_routes_with_the_saved_policy_and_decides_as_it_does()
    {
        var table = RoutingTableReader.Read(Routing.RoutingData.BundledTablePath());
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text)), RewardScaleCalibration.Calibrate(train), 1);
        // Two epochs and two members: the test is about loading and serving the file (an ensemble, as dial train writes), not about quality.
        var policy = new DialPolicyTrainer(Feedback.Bandit, new PolicyOptions { Epochs = 2, WarmStartEpochs = 1, EnsembleSize = 2, FeatureDimension = null }).TrainEnsemble(context);
        var path = Path.Combine(_folder.FullName, "policy.dial");
        PolicyFile.Save(policy, path);

        await using var factory = new GatewayFactory(new Dictionary<string, string?>
        {
            ["Dial:PolicyFile"] = path,
            ["Dial:Router"] = "no-such-router", // never trained: the file takes its place
            ["Dial:Store:ConnectionString"] = Path.Combine(_folder.FullName, "gateway.db"),
        }, realRouter: true);
        using var client = factory.CreateClient();
        var prompt = table.Where(Split.Test).Prompts[3].Text;

        var (response, body) = await Http.PostAsync(client, "/v1/chat/completions", Http.Chat("dial/best", prompt));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("dial", Http.Header(response, "X-Dial-Router"));
        var expected = policy.Route(new RoutingRequest(prompt, new Preference(1, 0), table.Models)).Model;
        Assert.Equal(expected, body!["dial"]!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_file_that_is_not_a_policy_stops_start_up_naming_the_setting()
    {
        var path = Path.Combine(_folder.FullName, "not-a-policy.dial");
        await File.WriteAllTextAsync(path, "hello");
        await using var factory = new GatewayFactory(new Dictionary<string, string?>
        {
            ["Dial:PolicyFile"] = path,
            ["Dial:Store:ConnectionString"] = Path.Combine(_folder.FullName, "bad.db"),
        }, realRouter: true);

        var e = Assert.ThrowsAny<InvalidOperationException>(() => factory.CreateClient());
        Assert.Contains("Dial:PolicyFile", e.Message);
        Assert.Contains("not a Dial policy file", e.Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // a file still held open stays in the temp folder; harmless
        }
    }
}
