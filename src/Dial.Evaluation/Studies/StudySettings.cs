using Dial.Learning.Identity;
using Dial.Learning.Policy;

namespace Dial.Evaluation.Studies;

/// <summary>How a study trains and measures its routers.</summary>
/// <param name="Policy">Policy training options (studies may lower the epochs to keep run times sane).</param>
/// <param name="Irt">Identity model options; the dimension and epochs are chosen among <paramref name="IrtDimensions"/> on a validation slice of train.</param>
/// <param name="Evaluation">Cost-weight sweep, bootstrap and encoder of the harness.</param>
public sealed record StudySettings(PolicyOptions Policy, IrtFitOptions Irt, IReadOnlyList<int> IrtDimensions, EvaluationOptions Evaluation);

/// <summary>A metric over seeds: each seed's value (null where the router never reaches it) and the mean of the reached ones.</summary>
public sealed record SeededMetric(IReadOnlyList<double?> PerSeed)
{
    public double? Mean => PerSeed.Any(v => v is not null) ? PerSeed.Where(v => v is not null).Average(v => v!.Value) : null;

    /// <summary>Seeds in which the router reached the metric at all.</summary>
    public int Reached => PerSeed.Count(v => v is not null);
}

/// <summary>One router variant of a study, its metrics on the test split over seeds.</summary>
/// <param name="Budget">Onboarding quiz size, when the variant onboards.</param>
public sealed record StudyRow(string Router, int? Budget, SeededMetric Auc, SeededMetric MaxQuality, SeededMetric SavingsAtBestSingleQuality, SeededMetric SavingsAt99, SeededMetric SavingsAt98)
{
    public static StudyRow Of(string router, int? budget, IReadOnlyList<CurveMetrics> seeds) => new(
        router,
        budget,
        new SeededMetric(seeds.Select(m => m.Auc).ToArray()),
        new SeededMetric(seeds.Select(m => (double?)m.MaxQuality).ToArray()),
        new SeededMetric(seeds.Select(m => m.SavingsAtBestSingleQuality).ToArray()),
        new SeededMetric(seeds.Select(m => m.SavingsAt99).ToArray()),
        new SeededMetric(seeds.Select(m => m.SavingsAt98).ToArray()));
}
