using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>One quiz question and the grade the model got on it.</summary>
public sealed record QuizAnswer(Prompt Question, double Score);

/// <summary>The onboarded identity and the quiz it came from.</summary>
public sealed record OnboardingResult(ModelIdentity Identity, IReadOnlyList<QuizAnswer> Answers);

/// <summary>
/// Onboards a new model against a fitted, frozen prompt side: quizzes it on a few questions chosen one at a
/// time (updating the posterior after each answer), then fits its variational identity q(θ) on the answers
/// with the same ELBO the identity model was trained with, so onboarded and trained identities are alike.
/// </summary>
public static class Onboarding
{
    private const int VariationalSteps = 400;
    private const int SamplesPerStep = 4;
    private const float VariationalLearningRate = 0.02f;

    public static OnboardingResult Run(PromptItemModel items, IQuizOracle oracle, int budget, IQuizSelector selector, int seed)
    {
        var questions = oracle.Questions;
        if (budget < 1 || budget > questions.Count)
            throw new ArgumentOutOfRangeException(nameof(budget), budget, $"quiz budget for '{oracle.Model}' must be between 1 and the {questions.Count} questions available");
        var random = new Random(seed);
        var population = items.Population;
        // Questions are chosen and answers fitted in the population's coordinates φ, where the prior is N(0, I).
        var candidates = questions.Select(items.LatentItemOf).ToArray();
        var asked = new bool[candidates.Length];
        var answers = new List<QuizAnswer>(budget);
        var graded = new List<(Item, double)>(budget);
        var posterior = LaplacePosterior.Prior(population.Dimension);
        for (var n = 0; n < budget; n++)
        {
            var next = selector.Next(candidates, asked, posterior, random);
            asked[next] = true;
            var score = oracle.Ask(questions[next]);
            if (!(score >= 0 && score <= 1)) throw new ArgumentException($"quiz oracle for '{oracle.Model}' graded a question {score}; grades must be in [0, 1]");
            answers.Add(new QuizAnswer(questions[next], score));
            graded.Add((candidates[next], score));
            posterior = LaplacePosterior.Fit(graded, population.Dimension, posterior.Mean);
        }
        return new OnboardingResult(population.FromLatent(FitIdentity(oracle.Model, graded, posterior, random)), answers);
    }

    /// <summary>The identity from every given answer at once (no quiz), under the item model's population prior.</summary>
    public static ModelIdentity FitAll(PromptItemModel items, string model, IEnumerable<(Prompt Question, double Score)> answers, Random random)
    {
        var graded = answers.Select(x => (items.LatentItemOf(x.Question), x.Score)).ToArray();
        return items.Population.FromLatent(FitIdentity(model, graded, LaplacePosterior.Fit(graded, items.Population.Dimension), random));
    }

    /// <summary>
    /// Fits q(θ) = N(μ, diag σ²) to graded answers on frozen items under the prior N(0, I) by maximising the ELBO,
    /// starting from the Laplace posterior (mean and marginal standard deviations) so a few hundred Adam steps suffice.
    /// </summary>
    public static ModelIdentity FitIdentity(string model, IReadOnlyList<(Item Item, double Score)> answers, LaplacePosterior start, Random random)
    {
        if (answers.Count == 0) throw new ArgumentException($"cannot fit an identity for '{model}' from no answers", nameof(answers));
        var d = start.Dimension;
        var q = new VariationalIdentities(1, d, random, 0, 1);
        for (var j = 0; j < d; j++)
        {
            q.Mean.Value[j] = (float)start.Mean[j];
            q.LogStd.Value[j] = (float)(0.5 * Math.Log(start.Covariance[j, j]));
        }
        var optimiser = new Adam(q.Parameters, VariationalLearningRate);
        var epsilon = new float[d];
        var theta = new float[d];
        var gradTheta = new float[d];
        var scale = 1f / (answers.Count * SamplesPerStep);
        for (var step = 0; step < VariationalSteps; step++)
        {
            for (var s = 0; s < SamplesPerStep; s++)
            {
                q.Sample(random, epsilon, theta);
                Array.Clear(gradTheta);
                foreach (var (item, score) in answers)
                {
                    var g = (float)SoftLabel.Gradient(item.Logit(theta), score) * scale;
                    for (var j = 0; j < d; j++) gradTheta[j] += g * item.A[j];
                }
                q.AddThetaGradient(epsilon, gradTheta);
            }
            q.AddKlGradient(1f / answers.Count);
            optimiser.Step();
        }
        return q.Identity(0, model, answers.Count);
    }
}
