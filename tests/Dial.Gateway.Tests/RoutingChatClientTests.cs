using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dial.Gateway.ChatClient;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dial.Gateway.Tests;

/// <summary>An inner chat client that fails for broken-* models and otherwise answers "MODEL: PROMPT".</summary>
public sealed class ScriptedChatClient : IChatClient
{
    public ConcurrentQueue<string> ModelsCalled { get; } = new();

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = Call(options);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"{model}: {messages.Last().Text}")));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var model = Call(options);
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, $"{model}: ");
        yield return new ChatResponseUpdate(ChatRole.Assistant, messages.Last().Text);
    }

    private string Call(ChatOptions? options)
    {
        var model = options?.ModelId ?? "none";
        ModelsCalled.Enqueue(model);
        if (model.StartsWith("broken-", StringComparison.Ordinal)) throw new HttpRequestException("provider down");
        return model;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

public sealed class RoutingChatClientTests(GatewayTestEnvironment env) : IClassFixture<GatewayTestEnvironment>
{
    private (IChatClient Client, ScriptedChatClient Inner, OrderedRouter Router) Build()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(env.Settings("mea")).Build();
        var inner = new ScriptedChatClient();
        var router = new OrderedRouter();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IRouter>(router);
        // The one line an application adds to route its chat client with Dial:
        services.AddDialRouting(configuration).AddChatClient(inner).UseDialRouting();
        return (services.BuildServiceProvider().GetRequiredService<IChatClient>(), inner, router);
    }

    [Fact]
    public async Task Unset_model_is_routed_and_the_response_names_the_answering_model()
    {
        var (client, inner, _) = Build();

        var response = await client.GetResponseAsync("hello");

        Assert.Equal("good-large", response.ModelId);
        Assert.Equal("echo-large-mea: hello", response.Text);
        Assert.Equal(["echo-large-mea"], inner.ModelsCalled);
        Assert.Equal("ordered", response.AdditionalProperties!["dial.router"]);
        Assert.Equal(1.0, response.AdditionalProperties["dial.expected_quality"]);
    }

    [Fact]
    public async Task Failing_model_is_retried_then_the_next_candidate_answers()
    {
        var (client, inner, _) = Build();

        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "dial/fallback" });

        Assert.Equal("good-small", response.ModelId);
        Assert.Equal(["broken-mea", "broken-mea", "echo-small-mea"], inner.ModelsCalled);
        Assert.Equal(1, response.AdditionalProperties!["dial.fallbacks"]);
    }

    [Fact]
    public async Task Stream_falls_back_before_its_first_update()
    {
        var (client, _, _) = Build();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync("streamed", new ChatOptions { ModelId = "dial/fallback" })) updates.Add(u);

        Assert.Equal("echo-small-mea: streamed", string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal("good-small", u.ModelId));
    }

    [Fact]
    public async Task Preference_and_concrete_models_pass_through()
    {
        var (client, inner, router) = Build();

        await client.GetResponseAsync("p", new ChatOptions().WithDialPreference(new Preference(0.1, 0.9)));
        var direct = await client.GetResponseAsync("q", new ChatOptions { ModelId = "good-small" });

        Assert.Equal(new Preference(0.1, 0.9), router.LastPreference);
        Assert.Equal("good-small", direct.ModelId);
        Assert.Equal("echo-small-mea", inner.ModelsCalled.Last());
    }
}
