using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Learning.Policy.Onboarded;

/// <summary>
/// Trains the policy on the kind of identity it will meet after onboarding. Each training model also appears as
/// pseudo-models ("NAME~quiz1", ...) with the same recorded outcomes and card, but described by an identity
/// onboarded from a short quiz of its own train answers instead of the one fitted on all of them. The fitted
/// identities of a few models are points the policy can memorise; quiz identities scatter around them the way a
/// new model's will, so the policy learns what a noisy identity is worth.
/// </summary>
public static class QuizAugmentation
{
    public const string Suffix = "~quiz";

    /// <param name="copies">Pseudo-models per training model, each from its own quiz (seeded by <paramref name="seed"/> + copy).</param>
    public static (RoutingTable Table, IdentityTable Identities) Augment(RoutingTable train, IrtModel irt, int budget, int copies, IQuizSelector selector, int seed)
    {
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, "need at least one quiz copy per model");
        var identities = new IdentityTable(irt.Identities.All);
        var cards = new List<ModelCard>(train.Models);
        var sources = new List<int>(Enumerable.Range(0, train.ModelCount));
        for (var m = 0; m < train.ModelCount; m++)
        {
            var model = train.Models[m];
            var oracle = new RecordedQuizOracle(train, model.Name);
            for (var c = 1; c <= copies; c++)
            {
                var name = $"{model.Name}{Suffix}{c}";
                var quizzed = Onboarding.Run(irt.Items, oracle, Math.Min(budget, oracle.Questions.Count), selector, seed + c).Identity;
                identities.Set(quizzed with { Model = name });
                cards.Add(model with { Name = name });
                sources.Add(m);
            }
        }
        var builder = new RoutingTableBuilder(train.Source, cards);
        for (var p = 0; p < train.PromptCount; p++)
        {
            var prompt = train.Prompts[p];
            var row = builder.AddPrompt(prompt.Id, prompt.Task, prompt.Split, prompt.Text, prompt.Line);
            for (var k = 0; k < cards.Count; k++)
                if (train.Has(p, sources[k]))
                    builder.AddResult(row, cards[k].Name, train.Score(p, sources[k]), train.Cost(p, sources[k]), null, null, prompt.Line);
        }
        return (builder.Build(), identities);
    }
}
