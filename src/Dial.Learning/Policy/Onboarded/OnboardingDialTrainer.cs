using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Learning.Policy.Onboarded;

/// <summary>
/// "dial-onboard": fits IRT identities on the training table (dimension and epochs chosen on a validation slice
/// of it), trains the Dial policy on those identities, then onboards every model of <paramref name="quizPool"/>
/// that the training table lacks from at most <paramref name="budget"/> of its recorded answers there. The
/// result routes the training models and the onboarded ones alike.
/// </summary>
/// <param name="quizPool">Recorded answers the new models are quizzed from (never test prompts).</param>
public sealed class OnboardingDialTrainer(
    RoutingTable quizPool,
    int budget,
    IQuizSelector? selector = null,
    PolicyOptions? policy = null,
    IrtFitOptions? irt = null,
    IReadOnlyList<int>? dimensions = null) : IRouterTrainer
{
    public const string RouterName = "dial-onboard";

    public string Name => RouterName;

    public IRouter Train(TrainingContext context)
    {
        var known = context.Train.Models.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var unseen = quizPool.Models.Select(m => m.Name).Where(m => !known.Contains(m)).ToArray();
        var options = (irt ?? new IrtFitOptions()) with { Seed = context.Seed };
        var (chosen, _) = IdentityModelSelection.ChooseIrt(context.Train, context.Encoder, options, dimensions ?? IdentityModelSelection.DefaultDimensions);
        var fitted = IdentityPolicy.Train(context, IrtModel.Fit(context.Train, context.Encoder, chosen), Feedback.Bandit, policy);
        return fitted.Onboard(quizPool, unseen, budget, selector ?? QuizSelectors.Default, context.Seed);
    }
}
