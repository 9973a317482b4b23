namespace Dial.Data;

/// <summary>
/// Collects rows from any reader and enforces the rules every routing table obeys: unique ids, scores in
/// [0, 1], non-negative costs, results only for known models. Each violation names the file, line and field.
/// </summary>
public sealed class RoutingTableBuilder
{
    private readonly string _file;
    private readonly List<ModelCard> _models;
    private readonly Dictionary<string, int> _modelIndex;
    private readonly bool _modelsFixed;
    private readonly List<PromptRecord> _prompts = [];
    private readonly List<(int Prompt, int Model, double Score, double Cost, int Tokens, string? Response)> _cells = [];
    private readonly Dictionary<string, int> _idPrompt = new(StringComparer.Ordinal);
    private readonly List<string> _warnings = [];

    /// <param name="models">The model cards; when null, models are taken from the results as they appear, with unknown prices.</param>
    public RoutingTableBuilder(string file, IReadOnlyList<ModelCard>? models)
    {
        _file = file;
        _modelsFixed = models is not null;
        _models = models?.ToList() ?? [];
        _modelIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in _models)
            if (!_modelIndex.TryAdd(m.Name, _modelIndex.Count))
                throw new DataFormatException(file, null, "name", $"model '{m.Name}' has two cards");
    }

    /// <summary>
    /// Adds a prompt and returns its index, to which results are then added. A repeated id with the same prompt
    /// text is a duplicate record and an error. A repeated id with a different text is a different prompt whose
    /// source reused an id (the bundled RouterBench subset has 14 such rows): it is kept under the id
    /// <c>ID~2</c> and reported in <see cref="RoutingTable.Warnings"/>, so nothing is dropped and nothing is
    /// renamed silently.
    /// </summary>
    public int AddPrompt(string id, string task, Split split, string text, int line)
    {
        if (string.IsNullOrWhiteSpace(id)) throw Error(line, "id", "must be a non-empty string");
        var key = id;
        for (var copy = 2; _idPrompt.TryGetValue(key, out var first); copy++)
        {
            if (_prompts[first].Text == text)
                throw Error(line, "id", $"duplicate id '{id}': the same prompt is already on line {_prompts[first].Line}");
            key = $"{id}~{copy}";
        }
        if (key != id) _warnings.Add($"{_file}:{line}: id '{id}' is already used by a different prompt (line {_prompts[_idPrompt[id]].Line}); kept as '{key}'");
        _idPrompt[key] = _prompts.Count;
        _prompts.Add(new PromptRecord(key, task, split, text, line));
        return _prompts.Count - 1;
    }

    public void AddResult(int prompt, string model, double score, double costUsd, int? outputTokens, string? response, int line)
    {
        var field = $"results.{model}";
        if (!_modelIndex.TryGetValue(model, out var m))
        {
            if (_modelsFixed) throw Error(line, field, $"unknown model '{model}': it has no card in the models file");
            m = _modelIndex[model] = _models.Count;
            _models.Add(new ModelCard(model, "unknown", 0, 0));
        }
        if (!(score >= 0 && score <= 1)) throw Error(line, $"{field}.score", $"must be in [0, 1], got {score}");
        if (!(costUsd >= 0 && double.IsFinite(costUsd))) throw Error(line, $"{field}.cost_usd", $"must be a non-negative number, got {costUsd}");
        if (outputTokens is < 0) throw Error(line, $"{field}.output_tokens", $"must be non-negative, got {outputTokens}");
        _cells.Add((prompt, m, score, costUsd, outputTokens ?? -1, response));
    }

    public RoutingTable Build()
    {
        var n = _prompts.Count;
        var k = _models.Count;
        var score = new double[n * k];
        var cost = new double[n * k];
        var tokens = new int[n * k];
        Array.Fill(score, double.NaN);
        Array.Fill(cost, double.NaN);
        Array.Fill(tokens, -1);
        var response = new string?[n * k];
        foreach (var (p, m, s, c, t, r) in _cells)
        {
            var cell = p * k + m;
            if (!double.IsNaN(score[cell])) throw Error(_prompts[p].Line, $"results.{_models[m].Name}", "appears twice for the same prompt");
            score[cell] = s;
            cost[cell] = c;
            tokens[cell] = t;
            response[cell] = r;
        }
        return new RoutingTable(_file, _models.ToArray(), _prompts.ToArray(), score, cost, tokens, response, _warnings.ToArray());
    }

    private DataFormatException Error(int line, string field, string problem) => new(_file, line, field, problem);
}
