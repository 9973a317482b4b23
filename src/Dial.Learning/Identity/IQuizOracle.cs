namespace Dial.Learning.Identity;

/// <summary>
/// Where onboarding gets a new model's answers: it offers the questions the model may be quizzed on and
/// grades the model's answer to one of them. <see cref="RecordedQuizOracle"/> reads a routing table; a live
/// oracle would send the prompt through the gateway to the model and score the reply with a grader.
/// </summary>
public interface IQuizOracle
{
    /// <summary>The model being quizzed.</summary>
    string Model { get; }

    /// <summary>The prompts the model may be asked; onboarding picks its quiz from these.</summary>
    IReadOnlyList<Prompt> Questions { get; }

    /// <summary>Has the model answer <paramref name="question"/> (one of <see cref="Questions"/>) and returns the grade in [0, 1].</summary>
    double Ask(Prompt question);
}

/// <summary>A quiz oracle that replays a model's recorded outcomes from a routing table.</summary>
public sealed class RecordedQuizOracle : IQuizOracle
{
    private readonly Dictionary<Prompt, double> _scores = new(ReferenceEqualityComparer.Instance);

    /// <param name="table">The recorded outcomes; every prompt where the model has a result becomes a question.</param>
    public RecordedQuizOracle(Dial.Data.RoutingTable table, string model)
    {
        if (!table.TryGetModelIndex(model, out var m))
            throw new KeyNotFoundException($"{table.Source}: no model named '{model}' to quiz (models: {string.Join(", ", table.Models.Select(c => c.Name))})");
        Model = model;
        var questions = new List<Prompt>();
        for (var p = 0; p < table.PromptCount; p++)
        {
            if (!table.Has(p, m)) continue;
            var prompt = new Prompt(table.Prompts[p].Text);
            questions.Add(prompt);
            _scores[prompt] = table.Score(p, m);
        }
        Questions = questions;
    }

    public string Model { get; }

    public IReadOnlyList<Prompt> Questions { get; }

    /// <summary>How many questions have been asked, so callers can check a quiz kept to its budget.</summary>
    public int Asked { get; private set; }

    public double Ask(Prompt question)
    {
        if (!_scores.TryGetValue(question, out var score))
            throw new ArgumentException($"the prompt is not one of the recorded questions of '{Model}'", nameof(question));
        Asked++;
        return score;
    }
}
