using Dial.Data;

namespace Dial.Evaluation;

/// <summary>
/// The held-out prompts as the harness routes them: one <see cref="Prompt"/> per test prompt (so its features
/// are computed once for every router and every preference) and, per prompt, the candidates that have a
/// recorded result for it. A router can only be scored on a model whose outcome is known, so a missing cell
/// removes that model from that prompt's candidates; a prompt no model answered is left out, and counted.
/// </summary>
public sealed class TestSet
{
    public TestSet(RoutingTable test)
    {
        var all = test.Models.ToArray();
        var rows = new List<int>();
        var candidates = new List<ModelCard[]>();
        for (var p = 0; p < test.PromptCount; p++)
        {
            var present = Enumerable.Range(0, test.ModelCount).Where(m => test.Has(p, m)).ToArray();
            if (present.Length == 0) continue;
            rows.Add(p);
            candidates.Add(present.Length == all.Length ? all : present.Select(m => all[m]).ToArray());
        }
        Table = test.SelectPrompts(rows);
        Excluded = test.PromptCount - rows.Count;
        Candidates = candidates;
        Prompts = Table.Prompts.Select(p => new Prompt(p.Text)).ToArray();
    }

    /// <summary>The test table restricted to the prompts that are routed.</summary>
    public RoutingTable Table { get; }

    public IReadOnlyList<Prompt> Prompts { get; }

    public IReadOnlyList<IReadOnlyList<ModelCard>> Candidates { get; }

    /// <summary>Test prompts left out because no model has a result for them.</summary>
    public int Excluded { get; }

    public int Count => Prompts.Count;
}
