using Dial.Learning.Baselines;
using Dial.Learning.Policy;

namespace Dial.Learning;

/// <summary>
/// Every router Dial can train, by name: what <c>dial eval --routers</c> accepts. A new router is one line in
/// <see cref="All"/>.
/// </summary>
public static class RouterCatalog
{
    public static IReadOnlyList<IRouterTrainer> All { get; } =
    [
        new KnnRouterTrainer(),
        new RidgeRouterTrainer(),
        new MlpRouterTrainer(),
        new MatrixFactorisationRouterTrainer(),
        new DialPolicyTrainer(Feedback.Bandit),
        new DialPolicyTrainer(Feedback.Full),
    ];

    public static IReadOnlyList<string> Names => All.Select(t => t.Name).ToArray();

    /// <summary>The trainers with the given names, in that order; an unknown name is an error that lists the valid ones.</summary>
    public static IReadOnlyList<IRouterTrainer> Select(IEnumerable<string> names) =>
        names.Distinct(StringComparer.Ordinal).Select(name => All.FirstOrDefault(t => t.Name == name)
            ?? throw new ArgumentException($"unknown router '{name}'; valid routers: {string.Join(", ", Names)}")).ToArray();
}
