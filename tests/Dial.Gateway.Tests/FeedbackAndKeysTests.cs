using System.Net;
using System.Text.Json.Nodes;
using Dial.Gateway.Security;

namespace Dial.Gateway.Tests;

public sealed class FeedbackTests(GatewayTestEnvironment env) : InProcessGatewayTest, IClassFixture<GatewayTestEnvironment>
{
    protected override Dictionary<string, string?> Settings() => env.Settings("feedback");

    [Fact]
    public async Task Feedback_is_stored_with_the_request_and_reaches_the_sinks()
    {
        var (chat, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "rate me", """, "dial": {"quality": 0.6, "cost": 0.4}"""));
        var id = Http.Header(chat, "X-Dial-Request-Id");

        var (response, body) = await Http.PostAsync(Client, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": 0.75, "comment": "good enough"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("good-large", body!["model"]!.GetValue<string>());
        var logged = JsonNode.Parse(await Client.GetStringAsync($"/v1/requests/{id}"))!;
        Assert.Equal("good-large", logged["model"]!.GetValue<string>());
        Assert.Equal("ordered", logged["router"]!.GetValue<string>());
        Assert.Equal(0.6, logged["preference"]!["quality"]!.GetValue<double>());
        Assert.Equal(0.75, logged["feedback"]![0]!["score"]!.GetValue<double>());
        Assert.Equal("good enough", logged["feedback"]![0]!["comment"]!.GetValue<string>());
        var received = Assert.Single(Factory.Sink.Received, f => f.RequestId == id);
        Assert.Equal("rate me", received.Prompt);
        Assert.Equal("good-large", received.Model);
        Assert.Equal(new Preference(0.6, 0.4), received.Preference);
        Assert.Equal(0.75, received.Score);
        Assert.True(received.CostUsd > 0);
        Assert.Single(Factory.Router.Learned, f => f.RequestId == id); // a router that takes feedback gets it too
    }

    [Theory]
    [InlineData("""{"request_id": "dialreq_unknown", "score": 0.5}""", 404, "request_not_found")]
    [InlineData("""{"score": 0.5}""", 400, "invalid_request")]
    [InlineData("""{"request_id": "x", "score": 1.5}""", 400, "invalid_request")]
    [InlineData("""{"request_id": "x", "score": "good"}""", 400, "invalid_request")]
    [InlineData("""{"request_id": "x", "score": 0.5, "comment": 7}""", 400, "invalid_request")]
    [InlineData("""not json""", 400, "invalid_json")]
    public async Task Bad_feedback_is_refused_with_the_reason(string json, int status, string code)
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/feedback", json);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, body!["error"]!["code"]!.GetValue<string>());
    }
}

public sealed class ClientKeyTests(GatewayTestEnvironment env) : InProcessGatewayTest, IClassFixture<GatewayTestEnvironment>
{
    private const string KeyA = "dial-key-a-secret";
    private const string KeyB = "dial-key-b-secret";
    protected override Dictionary<string, string?> Settings()
    {
        var settings = env.Settings("keys", "keys.db");
        settings["Dial:Auth:Keys:0:Name"] = "team-a";
        settings["Dial:Auth:Keys:0:Sha256"] = ClientKeys.Hash(KeyA);
        settings["Dial:Auth:Keys:1:Name"] = "team-b";
        settings["Dial:Auth:Keys:1:Sha256"] = ClientKeys.Hash(KeyB).ToUpperInvariant();
        // One good-large call costs 0.00025 USD: the first fits under the cap, the second finds it reached.
        settings["Dial:Auth:Keys:1:MonthlySpendingCapUsd"] = "0.0002";
        return settings;
    }

    [Theory]
    [InlineData(null, "missing API key")]
    [InlineData("wrong-key", "incorrect API key")]
    public async Task Requests_without_a_valid_key_are_401(string? key, string message)
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x"), key);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", body!["error"]!["code"]!.GetValue<string>());
        Assert.Contains(message, body["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task Valid_key_is_served_and_health_needs_none()
    {
        var (response, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x"), KeyA);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Spending_cap_stops_a_key_once_reached()
    {
        var (first, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x"), KeyB);
        var (second, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x"), KeyB);
        var (other, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x"), KeyA);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("insufficient_quota", body!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("spending_cap_reached", body["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_negative_spend_refresh_interval_stops_start_up_naming_the_setting()
    {
        var settings = env.Settings("keys-bad", "keys-bad.db");
        settings["Dial:Auth:SpendRefreshSeconds"] = "-1";
        await using var factory = new GatewayFactory(settings);

        var e = Assert.ThrowsAny<InvalidOperationException>(() => factory.CreateClient());
        Assert.Contains("Dial:Auth:SpendRefreshSeconds", e.Message);
    }

    [Fact]
    public async Task A_key_cannot_score_or_read_another_keys_request()
    {
        var (chat, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("good-small", "mine"), KeyA);
        var id = Http.Header(chat, "X-Dial-Request-Id");

        var (stranger, _) = await Http.PostAsync(Client, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": 0}""", KeyB);
        var (owner, _) = await Http.PostAsync(Client, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": 1}""", KeyA);

        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }
}

public sealed class CircuitBreakerTests(GatewayTestEnvironment env) : IClassFixture<GatewayTestEnvironment>
{
    [Fact]
    public async Task Breaker_opens_on_a_failing_upstream_and_requests_go_straight_to_the_next_candidate()
    {
        var settings = env.Settings("breaker");
        settings["Dial:Resilience:MaxRetries"] = "0";
        settings["Dial:Resilience:BreakerMinimumThroughput"] = "4";
        settings["Dial:Resilience:BreakerFailureRatio"] = "0.5";
        settings["Dial:Resilience:BreakerDurationSeconds"] = "60";
        // A second upstream, so the breaker of the failing one does not stand in the way of the healthy one.
        settings["Dial:Upstreams:1:Name"] = "healthy";
        settings["Dial:Upstreams:1:BaseUrl"] = env.Fake.BaseUrl;
        settings["Dial:Upstreams:1:Models:0:Name"] = "backup";
        settings["Dial:Upstreams:1:Models:0:UpstreamModel"] = "echo-backup";
        settings["Dial:Profiles:breaker:Models:0"] = "flaky";
        settings["Dial:Profiles:breaker:Models:1"] = "backup";
        await using var factory = new GatewayFactory(settings);
        using var client = factory.CreateClient();

        var answeredBy = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var (response, error) = await Http.PostAsync(client, "/v1/chat/completions", Http.Chat("dial/breaker", $"n{i}"));
            Assert.True(response.StatusCode == HttpStatusCode.OK, error?.ToJsonString());
            answeredBy.Add(Http.Header(response, "X-Dial-Model"));
        }

        Assert.All(answeredBy, m => Assert.Equal("backup", m));
        Assert.InRange(env.Fake.Calls("broken-breaker"), 4, 5); // the breaker opened after the minimum throughput
        Assert.Equal(12, env.Fake.Calls("echo-backup"));
        var (direct, body) = await Http.PostAsync(client, "/v1/chat/completions", Http.Chat("flaky", "x"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, direct.StatusCode);
        Assert.Equal("upstream_unavailable", body!["error"]!["code"]!.GetValue<string>());
    }
}
