namespace Dial.Data;

/// <summary>
/// Recorded outcomes of many models on many prompts: the data routers are trained and evaluated on.
/// Cells are dense arrays indexed [prompt * models + model]; a missing cell (the model never answered that
/// prompt) has a NaN score and is never confused with a score of zero.
/// </summary>
public sealed class RoutingTable
{
    private readonly double[] _score;
    private readonly double[] _cost;
    private readonly int[] _outputTokens;
    private readonly string?[] _response;
    private readonly Dictionary<string, int> _modelIndex;

    internal RoutingTable(
        string source,
        IReadOnlyList<ModelCard> models,
        IReadOnlyList<PromptRecord> prompts,
        double[] score,
        double[] cost,
        int[] outputTokens,
        string?[] response,
        IReadOnlyList<string> warnings)
    {
        Warnings = warnings;
        Source = source;
        Models = models;
        Prompts = prompts;
        _score = score;
        _cost = cost;
        _outputTokens = outputTokens;
        _response = response;
        _modelIndex = models.Select((m, i) => (m.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>The file (or description) the table came from.</summary>
    public string Source { get; }

    public IReadOnlyList<ModelCard> Models { get; }

    /// <summary>What the reader accepted but the user should know about (for example a reused id it renamed).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public IReadOnlyList<PromptRecord> Prompts { get; }

    public int ModelCount => Models.Count;

    public int PromptCount => Prompts.Count;

    public int ModelIndex(string name) =>
        _modelIndex.TryGetValue(name, out var i) ? i : throw new KeyNotFoundException($"{Source}: no model named '{name}'");

    public bool TryGetModelIndex(string name, out int index) => _modelIndex.TryGetValue(name, out index);

    public bool Has(int prompt, int model) => !double.IsNaN(_score[Cell(prompt, model)]);

    /// <summary>The recorded score, or NaN where the model has no result for the prompt.</summary>
    public double Score(int prompt, int model) => _score[Cell(prompt, model)];

    /// <summary>The recorded cost, or NaN where the model has no result for the prompt.</summary>
    public double Cost(int prompt, int model) => _cost[Cell(prompt, model)];

    public Outcome? Outcome(int prompt, int model)
    {
        var c = Cell(prompt, model);
        if (double.IsNaN(_score[c])) return null;
        return new Outcome(_score[c], _cost[c], _outputTokens[c] < 0 ? null : _outputTokens[c]);
    }

    public string? Response(int prompt, int model) => _response[Cell(prompt, model)];

    /// <summary>The prompts of one split, keeping every model.</summary>
    public RoutingTable Where(Split split) => SelectPrompts(Enumerable.Range(0, PromptCount).Where(p => Prompts[p].Split == split));

    /// <summary>A table of the given prompts (by index, in that order) with every model.</summary>
    public RoutingTable SelectPrompts(IEnumerable<int> prompts)
    {
        var rows = prompts.ToArray();
        var m = ModelCount;
        var score = new double[rows.Length * m];
        var cost = new double[rows.Length * m];
        var tokens = new int[rows.Length * m];
        var response = new string?[rows.Length * m];
        for (var r = 0; r < rows.Length; r++)
        {
            Array.Copy(_score, rows[r] * m, score, r * m, m);
            Array.Copy(_cost, rows[r] * m, cost, r * m, m);
            Array.Copy(_outputTokens, rows[r] * m, tokens, r * m, m);
            Array.Copy(_response, rows[r] * m, response, r * m, m);
        }
        return new RoutingTable(Source, Models, rows.Select(r => Prompts[r]).ToArray(), score, cost, tokens, response, Warnings);
    }

    /// <summary>The same table with each prompt's split replaced (one split per prompt, in prompt order).</summary>
    public RoutingTable WithSplits(IReadOnlyList<Split> splits)
    {
        if (splits.Count != PromptCount) throw new ArgumentException($"{Source}: {splits.Count} splits given for {PromptCount} prompts");
        var prompts = Prompts.Select((p, i) => p with { Split = splits[i] }).ToArray();
        return new RoutingTable(Source, Models, prompts, _score, _cost, _outputTokens, _response, Warnings);
    }

    /// <summary>A table restricted to the named models, in the given order.</summary>
    public RoutingTable SelectModels(IEnumerable<string> names)
    {
        var cols = names.Select(ModelIndex).ToArray();
        var n = PromptCount;
        var m = ModelCount;
        var k = cols.Length;
        var score = new double[n * k];
        var cost = new double[n * k];
        var tokens = new int[n * k];
        var response = new string?[n * k];
        for (var p = 0; p < n; p++)
            for (var j = 0; j < k; j++)
            {
                score[p * k + j] = _score[p * m + cols[j]];
                cost[p * k + j] = _cost[p * m + cols[j]];
                tokens[p * k + j] = _outputTokens[p * m + cols[j]];
                response[p * k + j] = _response[p * m + cols[j]];
            }
        return new RoutingTable(Source, cols.Select(c => Models[c]).ToArray(), Prompts, score, cost, tokens, response, Warnings);
    }

    private int Cell(int prompt, int model)
    {
        if ((uint)prompt >= (uint)PromptCount) throw new ArgumentOutOfRangeException(nameof(prompt), prompt, $"table has {PromptCount} prompts");
        if ((uint)model >= (uint)ModelCount) throw new ArgumentOutOfRangeException(nameof(model), model, $"table has {ModelCount} models");
        return prompt * ModelCount + model;
    }
}
