namespace Dial.Learning.Policy;

/// <summary>
/// Several Dial policies trained from different seeds, deciding together: each candidate's predicted quality and
/// cost are the members' means, and the decision is the argmax of the preference's utility of those means. An
/// average of per-candidate predictions keeps every property of one policy (monotone dial, permutation
/// invariance, independence of irrelevant alternatives), while the seeds' disagreements average out.
/// </summary>
public sealed class DialEnsemble : IRouter
{
    public DialEnsemble(string name, IReadOnlyList<DialPolicy> members)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one policy");
        Name = name;
        Members = members;
    }

    public string Name { get; }

    public IReadOnlyList<DialPolicy> Members { get; }

    public RoutingDecision Route(RoutingRequest request)
    {
        var candidates = request.Candidates;
        if (candidates.Count == 0) throw new ArgumentException("routing request has no candidates");
        var scale = Members[0].Scale;
        var quality = new double[candidates.Count];
        var cost = new double[candidates.Count];
        foreach (var member in Members)
        {
            var pass = new PolicyPass(member.Network, candidates.Count);
            member.Score(pass, request.Prompt, request.Preference, candidates);
            for (var k = 0; k < candidates.Count; k++)
            {
                quality[k] += pass.Quality[k];
                cost[k] += pass.Cost[k];
            }
        }
        var p = request.Preference.Normalized();
        var beta = Members.Average(m => m.Network.Beta);
        var utility = new double[candidates.Count];
        var logits = new float[candidates.Count];
        for (var k = 0; k < utility.Length; k++)
        {
            quality[k] /= Members.Count;
            cost[k] /= Members.Count;
            utility[k] = p.Quality * quality[k] - p.Cost * cost[k] - p.Latency * DialPolicy.NormalizedLatency(candidates[k], scale);
            logits[k] = (float)(beta * utility[k]);
        }
        // Probabilities as one policy would log them, with the members' mean inverse temperature.
        var probability = new float[candidates.Count];
        Neural.Activation.Softmax(logits, probability);
        var scores = new CandidateScore[candidates.Count];
        for (var k = 0; k < scores.Length; k++)
            scores[k] = new CandidateScore(candidates[k].Name, utility[k], quality[k], cost[k] * scale.CostUsd, probability[k]);
        return RoutingDecision.ArgMax(Name, scores);
    }
}
