using Dial.Data;

namespace Dial.Learning.Identity;

/// <summary>A routing table as learners read it: each prompt's features and its observed (model, score) cells. Missing cells are simply absent.</summary>
internal sealed class ObservedCells
{
    public ObservedCells(RoutingTable table, IPromptEncoder encoder)
    {
        if (table.PromptCount == 0) throw new ArgumentException($"{table.Source}: no prompts to learn from");
        Features = table.Prompts.Select(p => encoder.Encode(p.Text)).ToArray();
        Cells = new (int Model, float Score)[table.PromptCount][];
        for (var p = 0; p < table.PromptCount; p++)
        {
            var row = new List<(int, float)>();
            for (var m = 0; m < table.ModelCount; m++)
            {
                // Routing tables only hold scores in [0, 1], so every score is a valid soft label.
                if (table.Has(p, m)) row.Add((m, (float)table.Score(p, m)));
            }
            Cells[p] = row.ToArray();
        }
        Count = Cells.Sum(c => c.Length);
        if (Count == 0) throw new ArgumentException($"{table.Source}: no observed results to learn from");
    }

    public float[][] Features { get; }

    public (int Model, float Score)[][] Cells { get; }

    public int Count { get; }

    public int Prompts => Features.Length;

    public int EvidenceOf(int model) => Cells.Sum(row => row.Count(c => c.Model == model));
}
