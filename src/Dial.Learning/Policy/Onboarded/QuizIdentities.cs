using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Learning.Policy.Onboarded;

/// <summary>
/// The identities a training model would get if it were onboarded: each is refitted from a short quiz of the
/// model's own train answers against the frozen prompt side. The policy trains on them (the describer draws one
/// per episode, <see cref="CandidateDescriber"/>) so it learns what a noisy, quiz-sized identity is worth instead
/// of memorising a handful of fitted points, which a new model's identity never coincides with.
/// </summary>
public static class QuizIdentities
{
    /// <summary>The quiz sizes onboarding is asked for (the budgets), fixed before any measurement.</summary>
    public static IReadOnlyList<int> DefaultBudgets { get; } = [10, 20, 50];

    /// <summary>
    /// For every model of <paramref name="train"/>, <paramref name="copies"/> quiz identities per budget and per
    /// selector (the adaptive default and random, the two ways a new model is quizzed), each quiz seeded apart.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<ModelIdentity>> Sample(RoutingTable train, PromptItemModel items, int copies, int seed, IReadOnlyList<int>? budgets = null)
    {
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, "need at least one quiz identity per model, budget and selector");
        IQuizSelector[] selectors = [QuizSelectors.Default, QuizSelectors.Parse("random")];
        var sizes = budgets ?? DefaultBudgets;
        var result = new Dictionary<string, IReadOnlyList<ModelIdentity>>(StringComparer.Ordinal);
        // Models are independent and each quiz has its own seed, so they run in parallel with the same result.
        var lists = new ModelIdentity[train.ModelCount][];
        Parallel.For(0, train.ModelCount, m =>
        {
            var oracle = new RecordedQuizOracle(train, train.Models[m].Name);
            var variants = new List<ModelIdentity>();
            var quiz = 0;
            foreach (var budget in sizes)
                foreach (var selector in selectors)
                    for (var c = 0; c < copies; c++)
                        variants.Add(Onboarding.Run(items, oracle, Math.Min(budget, oracle.Questions.Count), selector, unchecked(seed + 7919 * m + ++quiz)).Identity);
            lists[m] = [.. variants];
        });
        for (var m = 0; m < train.ModelCount; m++) result[train.Models[m].Name] = lists[m];
        return result;
    }
}
