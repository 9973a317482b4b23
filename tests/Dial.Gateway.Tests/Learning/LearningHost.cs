using Dial.Data;
using Dial.Gateway.Learning;
using Dial.Gateway.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dial.Gateway.Tests.Learning;

/// <summary>An in-process gateway on the bundled table and the replay upstream, with an online learner.</summary>
public static class LearningHost
{
    private static readonly Lazy<RoutingData> Data = new(() => new RoutingData(RoutingTableReader.Read(RoutingData.BundledTablePath())));

    public static RoutingTable Table => Data.Value.Table;

    /// <summary>Test-split prompts: the traffic the tests send and the probes learners are compared on.</summary>
    public static IReadOnlyList<string> Prompts { get; } = Table.Where(Split.Test).Prompts.Take(12).Select(p => p.Text).ToArray();

    public static Dictionary<string, string?> Settings(DirectoryInfo folder, string store, string learner = "linucb") => new()
    {
        ["Dial:Store:ConnectionString"] = Path.Combine(folder.FullName, store),
        ["Dial:Learning:Learner"] = learner,
        ["Dial:Learning:StatePath"] = Path.Combine(folder.FullName, "learner-" + store),
        // Periodic snapshots would race the tests' own; shutdown and explicit snapshots are what they check.
        ["Dial:Learning:SnapshotIntervalSeconds"] = "3600",
        ["Dial:Learning:PollIntervalMilliseconds"] = "50",
    };

    /// <summary>A gateway host; all share one loaded table and its fitted encoder (loading is what a host's start-up spends most on).</summary>
    public static GatewayFactory Start(Dictionary<string, string?> settings) =>
        new(settings, realRouter: true, services => services.Replace(ServiceDescriptor.Singleton(Data)));

    public static OnlineLearning Learning(GatewayFactory factory) => factory.Services.GetRequiredService<OnlineLearning>();

    /// <summary>Serves one routed request and scores it; returns the model that answered.</summary>
    public static async Task<string> ServeAndScoreAsync(HttpClient client, string prompt, double score)
    {
        var (response, body) = await Http.PostAsync(client, "/v1/chat/completions", Http.Chat("dial/balanced", prompt));
        response.EnsureSuccessStatusCode();
        var id = body!["dial"]!["request_id"]!.GetValue<string>();
        var (feedback, _) = await Http.PostAsync(client, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": {{score.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");
        feedback.EnsureSuccessStatusCode();
        return body["dial"]!["model"]!.GetValue<string>();
    }

    /// <summary>What the learner predicts for every model on the probe prompts: equal lists mean equal learned state.</summary>
    public static IReadOnlyList<(string Model, double Quality, double Cost)> Probe(OnlineLearning learning) =>
        Prompts.SelectMany(p => learning.Route(new RoutingRequest(p, Preference.QualityOnly, Table.Models)).Candidates
            .Select(c => (c.Model, c.ExpectedQuality ?? double.NaN, c.ExpectedCostUsd ?? double.NaN))).ToArray();
}
