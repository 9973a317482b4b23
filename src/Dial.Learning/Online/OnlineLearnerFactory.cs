namespace Dial.Learning.Online;

/// <summary>
/// Builds online learners by name, with the default exploration parameters. The defaults were chosen by
/// replay on RouterBench's train split only (<c>dial simulate --split train</c>), never on test.
/// </summary>
public static class OnlineLearnerFactory
{
    public const double DefaultAlpha = 0.3;
    public const double DefaultPosteriorScale = 0.3;
    public const double DefaultEpsilon = 0.05;

    public static IReadOnlyList<string> Kinds { get; } = [LinUcbRouter.KindName, LinearThompsonRouter.KindName, EpsilonGreedyRouter.KindName];

    /// <summary>Throws unless <paramref name="exploration"/> is valid for <paramref name="kind"/> (null: the default, always valid).</summary>
    public static void CheckExploration(string kind, double? exploration)
    {
        if (exploration is not { } value) return;
        _ = kind switch
        {
            LinUcbRouter.KindName => LinUcbRouter.CheckAlpha(value),
            LinearThompsonRouter.KindName => LinearThompsonRouter.CheckPosteriorScale(value),
            EpsilonGreedyRouter.KindName => EpsilonGreedyRouter.CheckEpsilon(value),
            _ => throw new ArgumentException($"unknown online learner '{kind}'; known: {string.Join(", ", Kinds)}", nameof(kind)),
        };
    }

    /// <param name="exploration">The kind's exploration parameter (alpha, posterior scale, epsilon); null for its default.</param>
    public static LinearBanditRouter Create(string kind, PcaEncoder features, RewardScale scale, BanditOptions options, double? exploration = null) =>
        kind switch
        {
            LinUcbRouter.KindName => new LinUcbRouter(features, scale, options, exploration ?? DefaultAlpha),
            LinearThompsonRouter.KindName => new LinearThompsonRouter(features, scale, options, exploration ?? DefaultPosteriorScale),
            EpsilonGreedyRouter.KindName => new EpsilonGreedyRouter(features, scale, options, exploration ?? DefaultEpsilon),
            _ => throw new ArgumentException($"unknown online learner '{kind}'; known: {string.Join(", ", Kinds)}", nameof(kind)),
        };
}
