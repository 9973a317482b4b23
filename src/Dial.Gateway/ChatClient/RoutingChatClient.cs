using System.Runtime.CompilerServices;
using Dial.Gateway.Routing;
using Microsoft.Extensions.AI;

namespace Dial.Gateway.ChatClient;

/// <summary>
/// Dial's routing as Microsoft.Extensions.AI middleware: each call is routed by the same <see cref="RoutingCore"/>
/// the HTTP gateway uses and sent to the inner client with the chosen model's upstream name as
/// <see cref="ChatOptions.ModelId"/>, falling back down the ranking when the inner client fails. A call whose
/// ModelId is unset or a routed name (<c>dial/auto</c>, <c>dial/cheap</c>) is routed; a concrete name passes through.
/// The response's <see cref="ChatResponse.ModelId"/> is the answering model; <see cref="ChatResponse.AdditionalProperties"/>
/// carry <c>dial.router</c>, <c>dial.expected_quality</c>, <c>dial.expected_cost_usd</c> and <c>dial.fallbacks</c>.
/// </summary>
public sealed class RoutingChatClient(IChatClient inner, RoutingCore core) : DelegatingChatClient(inner)
{
    /// <summary>Key of a <see cref="Preference"/> in <see cref="ChatOptions.AdditionalProperties"/>: the call's own trade-off.</summary>
    public const string PreferenceKey = "dial.preference";

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToArray();
        var plan = Plan(list, options);
        var routed = await core.ExecuteAsync(plan,
            (route, ct) => base.GetResponseAsync(list, For(options, route), ct), cancellationToken);
        var response = routed.Value;
        response.ModelId = routed.Route.Name;
        Describe(response.AdditionalProperties ??= [], plan, routed);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToArray();
        var plan = Plan(list, options);
        // A stream can fall back only before its first update, so "answering" means producing that first update.
        var routed = await core.ExecuteAsync(plan, async (route, ct) =>
        {
            var updates = base.GetStreamingResponseAsync(list, For(options, route), cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                return (updates, await updates.MoveNextAsync().AsTask().WaitAsync(ct));
            }
            catch
            {
                await updates.DisposeAsync();
                throw;
            }
        }, cancellationToken);
        var (enumerator, hasFirst) = routed.Value;
        await using (enumerator)
        {
            if (!hasFirst) yield break;
            do
            {
                var update = enumerator.Current;
                update.ModelId = routed.Route.Name;
                yield return update;
            }
            while (await enumerator.MoveNextAsync());
        }
    }

    private RoutePlan Plan(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var prompt = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? messages.LastOrDefault()?.Text ?? "";
        Preference? preference = options?.AdditionalProperties?.TryGetValue(PreferenceKey, out var p) == true ? (Preference?)p : null;
        return core.Plan(options?.ModelId ?? ProfileCatalog.Prefix + ProfileCatalog.Auto, prompt, preference);
    }

    private static ChatOptions For(ChatOptions? options, ModelRoute route)
    {
        var copy = options?.Clone() ?? new ChatOptions();
        copy.ModelId = route.UpstreamModel;
        return copy;
    }

    private static void Describe<T>(AdditionalPropertiesDictionary properties, RoutePlan plan, Routed<T> routed)
    {
        var score = plan.ScoreOf(routed.Route.Name);
        if (plan.Decision is not null) properties["dial.router"] = plan.Decision.Router;
        if (score?.ExpectedQuality is { } q) properties["dial.expected_quality"] = q;
        if (score?.ExpectedCostUsd is { } c) properties["dial.expected_cost_usd"] = c;
        properties["dial.fallbacks"] = routed.Failures.Count;
    }
}

public static class RoutingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds Dial's routing to a chat client pipeline: <c>services.AddDialRouting(configuration);
    /// services.AddChatClient(inner).UseDialRouting();</c>. The routing core comes from DI.
    /// </summary>
    public static ChatClientBuilder UseDialRouting(this ChatClientBuilder builder) =>
        builder.Use((inner, services) => new RoutingChatClient(inner, services.GetRequiredService<RoutingCore>()));

    /// <summary>Sets the call's own trade-off, read by <see cref="RoutingChatClient"/>.</summary>
    public static ChatOptions WithDialPreference(this ChatOptions options, Preference preference)
    {
        (options.AdditionalProperties ??= [])[RoutingChatClient.PreferenceKey] = preference;
        return options;
    }
}
