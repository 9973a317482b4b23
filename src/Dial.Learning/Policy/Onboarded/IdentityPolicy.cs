using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Learning.Policy.Onboarded;

/// <summary>
/// A Dial policy ensemble that describes models by IRT identity vectors, and the identity model behind them (whose own
/// prediction each member's q̂ starts from, <see cref="PolicyOptions.Items"/>).
/// </summary>
/// <param name="Items">The frozen prompt side new models are onboarded against.</param>
public sealed record IdentityPolicy(PromptItemModel Items, DialEnsemble Policy)
{
    /// <summary>Quiz identities per training model, budget and selector that <see cref="Train"/> uses unless told otherwise.</summary>
    public const int DefaultQuizCopies = 3;

    /// <summary>
    /// Trains the ensemble (<see cref="PolicyOptions.EnsembleSize"/> members, as <c>dial</c>) on <paramref name="context"/> with the identities of <paramref name="irt"/>, which must
    /// cover every model of the training table. With <paramref name="quizCopies"/> above zero, training
    /// descriptions also draw from that many quiz identities per model, budget and selector
    /// (<see cref="QuizIdentities"/>), so the policy is trained on identities like the ones onboarding gives.
    /// </summary>
    public static IdentityPolicy Train(TrainingContext context, IrtModel irt, Feedback feedback, PolicyOptions? options = null, int quizCopies = DefaultQuizCopies)
    {
        if (quizCopies < 0) throw new ArgumentOutOfRangeException(nameof(quizCopies), quizCopies, "quiz identities per model cannot be negative");
        var withIdentities = (options ?? new PolicyOptions()) with
        {
            Identities = irt.Identities,
            Items = irt.Items,
            IdentityVariants = quizCopies > 0 ? QuizIdentities.Sample(context.Train, irt.Items, quizCopies, context.Seed) : null,
        };
        var policy = new DialPolicyTrainer(feedback, withIdentities).TrainEnsemble(context);
        return new IdentityPolicy(irt.Items, policy);
    }

    /// <summary>
    /// Onboards each of <paramref name="models"/> from at most <paramref name="budget"/> of its recorded answers in
    /// <paramref name="quizPool"/> (chosen by <paramref name="selector"/>) and returns the policy able to route them.
    /// </summary>
    public DialEnsemble Onboard(RoutingTable quizPool, IReadOnlyList<string> models, int budget, IQuizSelector selector, int seed)
    {
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(budget), budget, "the onboarding budget must be at least 1 prompt");
        var identities = models.Select(m =>
        {
            var oracle = new RecordedQuizOracle(quizPool, m);
            if (oracle.Questions.Count == 0)
                throw new ArgumentException($"{quizPool.Source}: model '{m}' has no recorded result in the train split to onboard it from");
            return Onboarding.Run(Items, oracle, Math.Min(budget, oracle.Questions.Count), selector, seed).Identity;
        });
        return WithIdentities(quizPool, models, identities);
    }

    /// <summary>
    /// The policy with each of <paramref name="models"/> described by the identity fitted on every one of its recorded
    /// answers in <paramref name="quizPool"/> at once: the furthest any quiz from that pool can take it.
    /// </summary>
    public DialEnsemble OnboardFromAll(RoutingTable quizPool, IReadOnlyList<string> models, int seed) =>
        WithIdentities(quizPool, models, models.Select(m =>
        {
            var oracle = new RecordedQuizOracle(quizPool, m);
            return Onboarding.FitAll(Items, m, oracle.Questions.Select(q => (q, oracle.Ask(q))), new Random(seed));
        }));

    /// <summary>
    /// The policy with each of <paramref name="models"/> described by the identity a model gets before any quiz (the
    /// population prior's mean and spread): it knows only their prices. The reference an onboarding quiz
    /// has to beat.
    /// </summary>
    public DialEnsemble PriceOnly(RoutingTable cards, IReadOnlyList<string> models) =>
        WithIdentities(cards, models, models.Select(Items.Population.Unquizzed));

    private DialEnsemble WithIdentities(RoutingTable cards, IReadOnlyList<string> models, IEnumerable<ModelIdentity> identities)
    {
        if (models.Count == 0) return Policy;
        return Policy.WithModels(models.Select(m => cards.Models[cards.ModelIndex(m)]).ToArray(), new IdentityTable(identities));
    }
}
