using Dial.Learning.Identity;

namespace Dial.Learning.Policy;

/// <summary>
/// The trained preference-conditioned routing policy, used through <see cref="IRouter"/>. Routing is
/// deterministic: it picks the candidate of highest predicted utility (the argmax of the policy) and reports
/// every candidate's predicted quality, predicted cost and policy probability. Save and load it as one file
/// with <see cref="PolicyFile"/>; the file holds the encoder, the reward scale, the model cards, the
/// descriptors, the network and the item model, so a loaded policy decides exactly as the trained one did.
/// </summary>
public sealed class DialPolicy : IRouter
{
    private readonly Dictionary<string, ModelCard> _cards;

    /// <param name="items">The identity model whose logit q̂ starts from (<see cref="PolicyNetwork.HasItemPrior"/>); only with identities.</param>
    public DialPolicy(string name, IPromptEncoder encoder, RewardScale scale, PolicyNetwork network, CandidateDescriber describer, IReadOnlyList<ModelCard> models, PromptItemModel? items = null)
    {
        if (encoder.Dimension != network.Features)
            throw new ArgumentException($"encoder dimension {encoder.Dimension} does not match the policy's {network.Features} input features");
        if (describer.Dimension != network.Descriptor)
            throw new ArgumentException($"descriptor dimension {describer.Dimension} does not match the policy's {network.Descriptor}");
        if (!models.Select(m => m.Name).SequenceEqual(describer.Models, StringComparer.Ordinal))
            throw new ArgumentException("the model cards must list the describer's models, in its order");
        if (network.HasItemPrior != items is not null)
            throw new ArgumentException(network.HasItemPrior ? "the policy's network uses an item model, and none was given" : "an item model was given to a policy whose network has no item term");
        if (items is not null && (describer.Trainable || items.Dimension != describer.VectorDimension))
            throw new ArgumentException($"an item model of {items.Dimension} dimensions needs identity descriptors of the same length (the describer has {(describer.Trainable ? "learned embeddings" : $"identities of {describer.VectorDimension}")})");
        Name = name;
        Encoder = encoder;
        Scale = scale;
        Network = network;
        Describer = describer;
        Models = models;
        Items = items;
        _cards = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
    }

    public string Name { get; }

    public IPromptEncoder Encoder { get; }

    /// <summary>The reward scale calibrated on the training data; a preference means what it meant in training.</summary>
    public RewardScale Scale { get; }

    public PolicyNetwork Network { get; }

    public CandidateDescriber Describer { get; }

    /// <summary>The cards of the models the policy was trained on.</summary>
    public IReadOnlyList<ModelCard> Models { get; }

    /// <summary>The identity model behind the policy's item prior, or null.</summary>
    public PromptItemModel? Items { get; }

    /// <summary>The card the policy was trained with, for a model named on the command line.</summary>
    public ModelCard Card(string model) =>
        _cards.TryGetValue(model, out var card)
            ? card
            : throw new KeyNotFoundException($"the policy knows no model '{model}' (it knows {string.Join(", ", Models.Select(m => m.Name))})");

    /// <summary>
    /// The same policy, also able to route the given models by their identity vectors (see
    /// <see cref="CandidateDescriber.WithIdentities"/>). Cards of models the policy already knows are replaced.
    /// </summary>
    public DialPolicy WithModels(IReadOnlyList<ModelCard> cards, IdentityTable identities)
    {
        var describer = Describer.WithIdentities(identities, cards.Select(c => c.Name));
        var names = cards.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var byName = Models.Where(m => !names.Contains(m.Name)).Concat(cards).ToDictionary(m => m.Name, StringComparer.Ordinal);
        var models = describer.Models.Select(m => byName[m]).ToArray();
        return new DialPolicy(Name, Encoder, Scale, Network, describer, models, Items);
    }

    public RoutingDecision Route(RoutingRequest request)
    {
        var candidates = request.Candidates;
        if (candidates.Count == 0) throw new ArgumentException("routing request has no candidates");
        var pass = new PolicyPass(Network, candidates.Count);
        Score(pass, request.Prompt, request.Preference, candidates);
        var scores = new CandidateScore[candidates.Count];
        for (var k = 0; k < scores.Length; k++)
            scores[k] = new CandidateScore(candidates[k].Name, pass.Utility[k], pass.Quality[k], pass.Cost[k] * Scale.CostUsd, pass.Probability[k]);
        return RoutingDecision.ArgMax(Name, scores);
    }

    /// <summary>Runs the network over the candidates; the pass then holds predictions, utilities and probabilities.</summary>
    public void Score(PolicyPass pass, Prompt prompt, Preference preference, IReadOnlyList<ModelCard> candidates)
    {
        pass.Reset(candidates.Count, preference);
        var item = Items?.ItemOf(prompt);
        for (var k = 0; k < candidates.Count; k++)
        {
            Describer.Describe(candidates[k], pass.Descriptor(k));
            pass.SetItemLogit(k, item);
            pass.Latency[k] = NormalizedLatency(candidates[k], Scale);
        }
        Network.Forward(pass, prompt.Features(Encoder), LogLength(prompt.Text));
    }

    /// <summary>The prompt-length input of the cost head: longer prompts cost more input tokens.</summary>
    public static float LogLength(string text) => MathF.Log(1 + text.Length) / 8;

    /// <summary>
    /// A card's median latency in the scale's units. A model with no measured latency is charged one full unit
    /// (the slowest known model's latency), so the latency weight never favours a model for lack of data.
    /// </summary>
    public static float NormalizedLatency(ModelCard card, RewardScale scale) =>
        (float)scale.NormalizeLatency(card.MedianLatencyMs ?? scale.LatencyMs);
}
