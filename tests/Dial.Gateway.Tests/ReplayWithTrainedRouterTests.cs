using System.Net;
using System.Text.Json.Nodes;
using Dial.Data;

namespace Dial.Gateway.Tests;

/// <summary>The <c>dial serve</c> set-up in process with the knn router trained on the bundled table, and the replay upstream.</summary>
public sealed class ReplayGatewayFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dial-replay-");
    private GatewayFactory _factory = null!;

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        _factory = new GatewayFactory(new Dictionary<string, string?>
        {
            ["Dial:Router"] = "knn",
            ["Dial:Store:ConnectionString"] = Path.Combine(_folder.FullName, "replay.db"),
        }, realRouter: true);
        Client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}

public sealed class ReplayWithTrainedRouterTests(ReplayGatewayFixture fixture) : IClassFixture<ReplayGatewayFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private static RoutingTable Table { get; } = RoutingTableReader.Read(RoutingDataPath());

    private static string RoutingDataPath() => Routing.RoutingData.BundledTablePath();

    [Fact]
    public async Task Recorded_prompt_is_replayed_with_its_recorded_answer_cost_and_score()
    {
        var test = Table.Where(Split.Test);
        var prompt = test.Prompts[7];

        var (response, body) = await Http.PostAsync(_client, "/v1/chat/completions", Http.Chat("dial/best", prompt.Text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var dial = body!["dial"]!;
        Assert.Equal("knn", dial["router"]!.GetValue<string>());
        Assert.Equal(prompt.Id, dial["replay"]!["prompt_id"]!.GetValue<string>());
        Assert.Equal(1.0, dial["replay"]!["similarity"]!.GetValue<double>());
        var model = Table.ModelIndex(dial["model"]!.GetValue<string>());
        var row = Table.Prompts.ToList().FindIndex(p => p.Id == prompt.Id);
        Assert.Equal(Table.Score(row, model), dial["recorded_score"]!.GetValue<double>());
        Assert.Equal(Table.Cost(row, model), dial["cost_usd"]!.GetValue<double>(), 12);
        Assert.Equal(Table.Response(row, model), body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.InRange(dial["expected_quality"]!.GetValue<double>(), 0, 1);
    }

    [Fact]
    public async Task Unknown_prompt_gets_the_nearest_recorded_answer()
    {
        var (response, body) = await Http.PostAsync(_client, "/v1/chat/completions", Http.Chat("dial/auto", "Write a Python function that reverses a list."));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var similarity = body!["dial"]!["replay"]!["similarity"]!.GetValue<double>();
        Assert.InRange(similarity, 0.01, 0.999);
        Assert.False(string.IsNullOrEmpty(body["choices"]![0]!["message"]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Trained_router_spends_more_for_best_than_for_cheap()
    {
        var prompts = Table.Where(Split.Test).Prompts.Take(15).Select(p => p.Text).ToArray();
        async Task<(double Quality, double Cost)> MeanExpected(string model)
        {
            double q = 0, c = 0;
            foreach (var text in prompts)
            {
                var (_, body) = await Http.PostAsync(_client, "/v1/chat/completions", Http.Chat(model, text));
                q += body!["dial"]!["expected_quality"]!.GetValue<double>();
                c += body["dial"]!["expected_cost_usd"]!.GetValue<double>();
            }
            return (q / prompts.Length, c / prompts.Length);
        }

        var best = await MeanExpected("dial/best");
        var cheap = await MeanExpected("dial/cheap");

        Assert.True(best.Cost > cheap.Cost, $"best {best} vs cheap {cheap}");
        Assert.True(best.Quality >= cheap.Quality, $"best {best} vs cheap {cheap}");
    }
}
