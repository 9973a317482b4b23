using Dial.Data;

namespace Dial.Learning.Policy;

/// <summary>
/// Each member's mean score at cost weight 0 on a table's prompts (the training prompts, in <c>dial train</c>), beside
/// the ensemble's. A bandit-trained member can diverge on its own: one ranked Yi-34B above gpt-4 on 45% of RouterBench's
/// training prompts (0.847 against its siblings' 0.884 and 0.896) while the ensemble's own figures hid it on some seeds.
/// The check reads no held-out prompt, so a policy's validation rule can use it.
/// </summary>
public sealed record MemberCheck(double Ensemble, IReadOnlyList<double> Members)
{
    /// <summary>A member this far below its best sibling is reported as diverged.</summary>
    public const double Tolerance = 0.02;

    public IReadOnlyList<int> Diverged => Enumerable.Range(0, Members.Count).Where(i => Members[i] < Members.Max() - Tolerance).ToArray();

    public static MemberCheck Run(DialEnsemble ensemble, RoutingTable table)
    {
        var routers = ensemble.Members.Cast<IRouter>().Prepend(ensemble).ToArray();
        var totals = new double[routers.Length];
        var routed = 0;
        for (var p = 0; p < table.PromptCount; p++)
        {
            var available = Enumerable.Range(0, table.ModelCount).Where(m => table.Has(p, m)).ToArray();
            if (available.Length == 0) continue;
            var request = new RoutingRequest(new Prompt(table.Prompts[p].Text), Preference.QualityOnly, available.Select(m => table.Models[m]).ToArray());
            // Encoded once and kept on the prompt for the ensemble and every member (they share the encoder): the
            // ensemble alone would encode it into its scratch and leave the first member to encode it again.
            request.Prompt.Features(ensemble.Encoder);
            for (var r = 0; r < routers.Length; r++)
            {
                totals[r] += table.Score(p, table.ModelIndex(routers[r].Route(request).Model));
            }
            routed++;
        }
        if (routed == 0) throw new ArgumentException($"{table.Source}: no prompt has a recorded answer to route");
        return new MemberCheck(totals[0] / routed, totals.Skip(1).Select(t => t / routed).ToArray());
    }
}
