using System.Net;
using System.Text.Json.Nodes;
using Dial.Gateway.Bench;

namespace Dial.Gateway.Tests;

public sealed class ChatCompletionsTests(GatewayTestEnvironment env) : InProcessGatewayTest, IClassFixture<GatewayTestEnvironment>
{
    protected override Dictionary<string, string?> Settings() => env.Settings("chat");

    [Fact]
    public async Task Routed_request_is_answered_by_the_routers_choice_and_says_why()
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "hello there"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo: hello there", body!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("good-large", body["model"]!.GetValue<string>());
        Assert.Equal("good-large", Http.Header(response, "X-Dial-Model"));
        Assert.Equal("ordered", Http.Header(response, "X-Dial-Router"));
        Assert.Equal("balanced", Http.Header(response, "X-Dial-Profile"));
        Assert.Equal("1", Http.Header(response, "X-Dial-Expected-Quality"));
        var timing = Http.Header(response, "Server-Timing").Split(", ").Select(m => m.Split(";dur=")).ToDictionary(m => m[0], m => double.Parse(m[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["dial", "gc", "routing", "upstream"], timing.Keys.Order());
        Assert.All(timing.Values, ms => Assert.True(ms >= 0));
        Assert.True(timing["routing"] <= timing["dial"], "routing is part of the gateway's own time");
        var dial = body["dial"]!;
        Assert.Equal(Http.Header(response, "X-Dial-Request-Id"), dial["request_id"]!.GetValue<string>());
        Assert.StartsWith("dialreq_", dial["request_id"]!.GetValue<string>());
        Assert.Equal(1.0, dial["expected_quality"]!.GetValue<double>());
        // The fake reports 10 prompt and 5 completion tokens; good-large costs 10 and 30 USD per million.
        Assert.Equal((10 * 10 + 5 * 30) / 1e6, dial["cost_usd"]!.GetValue<double>(), 12);
        Assert.Empty(dial["fallbacks"]!.AsArray());
        Assert.Equal(0.7, Factory.Router.LastPreference!.Value.Quality); // the default profile's trade-off
        // The whole field, in order: a routed answer leaves none of its parts out (absent predictions are null).
        Assert.Equal(["request_id", "model", "upstream", "router", "profile", "expected_quality", "expected_cost_usd", "cost_usd", "preference", "fallbacks"],
            dial.AsObject().Select(p => p.Key));
        Assert.Equal(("good-large", "fake", "ordered", "balanced"), (dial["model"]!.GetValue<string>(), dial["upstream"]!.GetValue<string>(),
            dial["router"]!.GetValue<string>(), dial["profile"]!.GetValue<string>()));
        Assert.Equal((0.7, 0.3, 0.0), (dial["preference"]!["quality"]!.GetValue<double>(), dial["preference"]!["cost"]!.GetValue<double>(),
            dial["preference"]!["latency"]!.GetValue<double>()));
        Assert.Equal(["model", "id", "object", "created", "choices", "usage", "dial"], body.AsObject().Select(p => p.Key)); // the upstream's fields kept, model renamed
    }

    [Fact]
    public async Task Concrete_model_name_bypasses_routing()
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("good-small", "hi"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("good-small", Http.Header(response, "X-Dial-Model"));
        Assert.Equal("", Http.Header(response, "X-Dial-Router"));
        Assert.Null(body!["dial"]!["router"]);
        Assert.True(env.Fake.Calls("echo-small-chat") >= 1);
    }

    [Fact]
    public async Task Upstream_gets_the_request_as_sent_with_its_own_model_name_and_no_dial_field()
    {
        var marker = "pass-through " + Guid.NewGuid().ToString("N");
        var messages = $$"""[{"role": "system", "content": "Be \"brief\".\n<ok> & ünïcode"}, {"role": "user", "content": "{{marker}}"}]""";
        var sent = $$"""{"model": "good-small", "temperature": 0.25, "messages": {{messages}}, "dial": {"quality": 1}, "user": null}""";

        var (response, _) = await Http.PostAsync(Client, "/v1/chat/completions", sent);
        var received = JsonNode.Parse(env.Fake.Bodies.Single(b => b.Contains(marker, StringComparison.Ordinal)))!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo-small-chat", received["model"]!.GetValue<string>());
        Assert.False(received.ContainsKey("dial"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(messages), received["messages"]));
        Assert.Equal(0.25, received["temperature"]!.GetValue<double>());
        Assert.True(received.ContainsKey("user"));
    }

    [Fact]
    public async Task Preference_comes_from_the_body_then_the_header_then_the_profile()
    {
        await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "a", """, "dial": {"quality": 0.2, "cost": 0.8}"""));
        Assert.Equal(new Preference(0.2, 0.8), Factory.Router.LastPreference);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Http.Chat("dial/cheap", "b")) };
        request.Headers.Add("X-Dial-Preference", "quality=0.5, cost=0.25, latency=0.25");
        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Preference(0.5, 0.25, 0.25), Factory.Router.LastPreference);

        await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/cheap", "c"));
        Assert.Equal(new Preference(0.3, 0.7), Factory.Router.LastPreference);
    }

    [Theory]
    [InlineData(""", "dial": {"quality": -1, "cost": 1}""", "dial")]
    [InlineData(""", "dial": {"quality": "high"}""", "dial.quality")]
    [InlineData(""", "dial": {"speed": 1}""", "dial.speed")]
    [InlineData(""", "dial": {"quality": 0, "cost": 0}""", "dial")]
    [InlineData(""", "dial": [1, 2]""", "dial")]
    public async Task Invalid_preference_is_a_400_naming_the_field(string extra, string param)
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "x", extra));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", body!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("invalid_preference", body["error"]!["code"]!.GetValue<string>());
        Assert.Equal(param, body["error"]!["param"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("quality=high")]
    [InlineData("speed=1")]
    [InlineData("quality=0,cost=0")]
    public async Task Invalid_preference_header_is_a_400(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Http.Chat("dial/auto", "x")) };
        request.Headers.Add("X-Dial-Preference", header);
        var response = await Client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("X-Dial-Preference", body["error"]!["param"]!.GetValue<string>());
        Assert.StartsWith("dialreq_", Http.Header(response, "X-Dial-Request-Id"));
    }

    [Fact]
    public async Task Prompt_is_the_last_user_message_text_parts_joined()
    {
        const string json = """
            {"model": "good-small", "messages": [
              {"role": "system", "content": "be brief"},
              {"role": "user", "content": [{"type": "text", "text": "first part"}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "second part"}]},
              {"role": "assistant", "content": "ok"}]}
            """;
        var (response, _) = await Http.PostAsync(Client, "/v1/chat/completions", json);
        var id = Http.Header(response, "X-Dial-Request-Id");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, _) = await Http.PostAsync(Client, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": 1}""");
        Assert.Equal("first part\nsecond part", Assert.Single(Factory.Sink.Received, f => f.RequestId == id).Prompt);
    }

    [Theory]
    [InlineData("{not json", 400, "invalid_json")]
    [InlineData("[1, 2]", 400, "invalid_json")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}]}""", 400, "invalid_request")]
    [InlineData("""{"model": "dial/auto", "messages": []}""", 400, "invalid_request")]
    [InlineData("""{"model": "dial/auto", "messages": [{"content": "x"}]}""", 400, "invalid_request")]
    [InlineData("""{"model": "dial/auto", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}""", 400, "invalid_request")]
    [InlineData("""{"model": "gpt-17", "messages": [{"role": "user", "content": "x"}]}""", 404, "model_not_found")]
    [InlineData("""{"model": "dial/nope", "messages": [{"role": "user", "content": "x"}]}""", 404, "model_not_found")]
    public async Task Bad_requests_get_openai_errors_and_the_server_keeps_serving(string json, int status, string code)
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", json);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, body!["error"]!["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["error"]!["message"]!.GetValue<string>()));
        var (next, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", "still there?"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Oversized_body_is_a_413()
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/auto", new string('x', 100_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", body!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failing_upstream_is_retried_then_the_next_ranked_candidate_answers()
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/fallback", "fall back please"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("good-small", Http.Header(response, "X-Dial-Model"));
        Assert.Equal("1", Http.Header(response, "X-Dial-Fallbacks"));
        var fallback = body!["dial"]!["fallbacks"]![0]!;
        Assert.Equal("flaky", fallback["model"]!.GetValue<string>());
        Assert.Contains("503", fallback["reason"]!.GetValue<string>());
        Assert.Equal(2, env.Fake.Calls("broken-chat")); // one try and MaxRetries = 1 retry
    }

    [Fact]
    public async Task Garbage_from_an_upstream_falls_back_without_retrying_and_alone_is_a_502()
    {
        var (routed, _) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/junk", "x"));
        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal("good-small", Http.Header(routed, "X-Dial-Model"));
        Assert.Equal(1, env.Fake.Calls("garbage-chat"));

        var (direct, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("junk", "x"));
        Assert.Equal(HttpStatusCode.BadGateway, direct.StatusCode);
        Assert.Equal("api_error", body!["error"]!["type"]!.GetValue<string>());
        var message = body["error"]!["message"]!.GetValue<string>();
        Assert.Contains("malformed JSON", message);
        Assert.DoesNotContain("127.0.0.1", message);
    }

    [Fact]
    public async Task Upstream_refusing_the_request_is_theClients_error_without_leaking_the_upstream_key()
    {
        var (response, body) = await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/refuse", "too long"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = body!["error"]!["message"]!.GetValue<string>();
        Assert.Contains("context too long", message);
        Assert.DoesNotContain(FakeOpenAIServer.ApiKey, message);
        Assert.Equal(0, env.Fake.Calls("echo-small-refuse"));
        Assert.Contains($"Bearer {FakeOpenAIServer.ApiKey}", env.Fake.Authorizations);
    }

    [Fact]
    public async Task Stream_is_passed_through_event_by_event()
    {
        var response = await Client.PostAsync("/v1/chat/completions", new StringContent(Http.Chat("dial/auto", "stream me", """, "stream": true""")));
        var events = Http.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("good-large", Http.Header(response, "X-Dial-Model"));
        Assert.StartsWith("dialreq_", Http.Header(response, "X-Dial-Request-Id"));
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(6, events.Count); // role, three pieces, finish, [DONE]
        Assert.Equal("echo: stream me", Http.StreamedText(events));
    }

    [Fact]
    public async Task Stream_carries_the_routing_on_its_first_chunk_and_the_cost_on_its_usage_chunk()
    {
        var response = await Client.PostAsync("/v1/chat/completions",
            new StringContent(Http.Chat("dial/auto", "stream me", """, "stream": true, "stream_options": {"include_usage": true}""")));
        var chunks = Http.Events(await response.Content.ReadAsStringAsync()).SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();

        var routing = chunks[0]["dial"]!;
        Assert.Equal(Http.Header(response, "X-Dial-Request-Id"), routing["request_id"]!.GetValue<string>());
        Assert.Equal("good-large", routing["model"]!.GetValue<string>());
        Assert.Equal(Http.Header(response, "X-Dial-Router"), routing["router"]!.GetValue<string>());
        Assert.Equal(double.Parse(Http.Header(response, "X-Dial-Expected-Quality"), System.Globalization.CultureInfo.InvariantCulture),
            routing["expected_quality"]!.GetValue<double>(), 4);
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>()); // the upstream's chunk is kept
        Assert.All(chunks.Skip(1).SkipLast(1), c => Assert.Null(c["dial"]));
        // 10 prompt and 5 completion tokens at 10 and 30 USD per million, as the fake upstream reports.
        Assert.Equal(0.00025, chunks[^1]["dial"]!["cost_usd"]!.GetValue<double>(), 12);
        Assert.NotNull(chunks[^1]["usage"]);
    }

    [Fact]
    public async Task Stream_falls_back_before_its_first_event()
    {
        var response = await Client.PostAsync("/v1/chat/completions", new StringContent(Http.Chat("dial/fallback", "s", """, "stream": true""")));
        var events = Http.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal("good-small", Http.Header(response, "X-Dial-Model"));
        Assert.Equal("echo: s", Http.StreamedText(events));
    }

    [Fact]
    public async Task Stream_cut_short_by_the_upstream_ends_with_an_error_event()
    {
        var response = await Client.PostAsync("/v1/chat/completions", new StringContent(Http.Chat("dial/cut", "cut me", """, "stream": true""")));
        var events = Http.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", events[^1]);
        var error = JsonNode.Parse(events[^2])!["error"]!;
        Assert.Equal("upstream_stream_broken", error["code"]!.GetValue<string>());
        Assert.Contains("without [DONE]", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Models_lists_routed_names_and_concrete_models()
    {
        var body = JsonNode.Parse(await Client.GetStringAsync("/v1/models"))!;
        var ids = body["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray();

        Assert.Equal("list", body["object"]!.GetValue<string>());
        Assert.Contains("dial/auto", ids);
        Assert.Contains("dial/fallback", ids);
        Assert.Contains("good-large", ids);
    }

    [Fact]
    public async Task Health_and_metrics_report_without_secrets()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz")).StatusCode);
        await Http.PostAsync(Client, "/v1/chat/completions", Http.Chat("dial/fallback", "m"));
        await Http.PostAsync(Client, "/v1/chat/completions", "{broken");

        var metrics = await Client.GetStringAsync("/metrics");

        Assert.Contains("dial_requests_total{", metrics);
        Assert.Contains("model=\"good-small\"", metrics);
        Assert.Contains("dial_upstream_latency_milliseconds_bucket", metrics);
        Assert.Contains("dial_fallbacks_total", metrics);
        Assert.Contains("dial_cost_usd_total", metrics);
        Assert.Contains("dial_errors_total{", metrics);
        Assert.DoesNotContain(FakeOpenAIServer.ApiKey, metrics);
        Assert.DoesNotContain(env.Fake.BaseUrl, metrics);
    }

    [Fact]
    public async Task Unknown_route_gets_an_openai_error()
    {
        var response = await Client.GetAsync("/v1/nothing-here");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
    }
}
