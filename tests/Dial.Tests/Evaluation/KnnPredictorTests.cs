using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Baselines;

namespace Dial.Tests.Evaluation;

public sealed class KnnPredictorTests
{
    /// <summary>The one-pass top-k selection finds the same neighbours as sorting every training prompt by cosine similarity.</summary>
    [Fact]
    public void PredictsTheMeanOverTheKMostSimilarTrainingPromptsOnRouterBench()
    {
        var table = BundledData.RouterBench;
        var train = table.Where(Split.Train);
        var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text));
        var set = TrainingSet.Of(new TrainingContext(train, encoder, RewardScaleCalibration.Calibrate(train)));
        const int k = 7;
        var knn = new KnnPredictor(set, encoder, k);
        var score = new double[set.ModelCount];
        var cost = new double[set.ModelCount];
        foreach (var test in table.Where(Split.Test).Prompts.Take(25))
        {
            var prompt = new Prompt(test.Text);
            knn.Predict(prompt, score, cost);

            var x = prompt.Features(encoder);
            var neighbours = Enumerable.Range(0, set.PromptCount)
                .Select(i => (Index: i, Similarity: Cosine(x, set.Features[i])))
                .OrderByDescending(t => t.Similarity).ThenBy(t => t.Index).Take(k).Select(t => t.Index).ToArray();
            for (var m = 0; m < set.ModelCount; m++)
            {
                var answered = neighbours.Where(p => set.Has(p, m)).ToArray();
                var expectedScore = answered.Length > 0 ? answered.Average(p => set.Score(p, m)) : set.MeanScore[m];
                var expectedCost = answered.Length > 0 ? answered.Average(p => set.Cost(p, m)) : set.MeanCost[m];
                Assert.Equal(expectedScore, score[m], 9);
                Assert.Equal(expectedCost, cost[m], 12);
            }
        }
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : 0;
    }
}
