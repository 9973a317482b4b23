using System.Text;
using Dial.Data;

namespace Dial.Tests.Evaluation;

/// <summary>Small routing tables built in memory, where the right routing decision is known by construction.</summary>
internal static class SyntheticTables
{
    private static readonly string[] CodingWords = ["loops", "lists", "recursion", "arrays", "classes", "strings", "sorting", "closures"];
    private static readonly string[] HistoryWords = ["kings", "wars", "empires", "treaties", "revolutions", "dynasties", "battles", "castles"];

    /// <summary>
    /// Half the prompts ask about python, half about history. "coder" scores 1 on python and 0 on history,
    /// "scholar" the reverse, both at $0.001; "generalist" scores 0.6 on everything at $0.002. The best single model
    /// is the generalist (0.6); a router that reads the keyword reaches 1.0 at half its cost; random gets about 0.53.
    /// Every fifth prompt is in the test split.
    /// </summary>
    public static RoutingTable Keyword(int prompts = 200, int seed = 7)
    {
        var random = new Random(seed);
        var b = new RoutingTableBuilder("synthetic", [Card("coder"), Card("scholar"), Card("generalist")]);
        for (var i = 0; i < prompts; i++)
        {
            var coding = i % 2 == 0;
            var topic = coding ? "python" : "history";
            var words = coding ? CodingWords : HistoryWords;
            var text = $"A {topic} question: explain {words[random.Next(words.Length)]} and {words[random.Next(words.Length)]}, case {random.Next(1000)}.";
            var p = b.AddPrompt($"q{i}", topic, i % 5 == 0 ? Split.Test : Split.Train, text, i + 1);
            b.AddResult(p, "coder", coding ? 1 : 0, 0.001, null, null, i + 1);
            b.AddResult(p, "scholar", coding ? 0 : 1, 0.001, null, null, i + 1);
            b.AddResult(p, "generalist", 0.6, 0.002, null, null, i + 1);
        }
        return b.Build();
    }

    /// <summary>The same table as JSON lines, for commands that read a file.</summary>
    public static string KeywordJsonLines(int prompts = 120) => JsonLines(Keyword(prompts));

    /// <summary>Any table as JSON lines (ids, tasks, splits, prompts, scores and costs).</summary>
    public static string JsonLines(RoutingTable table)
    {
        var s = new StringBuilder();
        for (var p = 0; p < table.PromptCount; p++)
        {
            var r = table.Prompts[p];
            var results = string.Join(", ", Enumerable.Range(0, table.ModelCount).Select(m =>
                FormattableString.Invariant($"\"{table.Models[m].Name}\": {{\"score\": {table.Score(p, m)}, \"cost_usd\": {table.Cost(p, m)}}}")));
            s.Append($"{{\"id\": \"{r.Id}\", \"task\": \"{r.Task}\", \"split\": \"{(r.Split == Split.Train ? "train" : "test")}\", \"prompt\": \"{r.Text}\", \"results\": {{{results}}}}}\n");
        }
        return s.ToString();
    }

    private static ModelCard Card(string name) => new(name, "test", 1, 1);
}
