namespace Dial.Evaluation;

/// <summary>How an evaluation is run.</summary>
/// <param name="Seed">Seeds training, the random row and the bootstrap.</param>
/// <param name="CostWeights">Points per router sweep (see <see cref="CostWeightSweep"/>).</param>
/// <param name="BootstrapSamples">Resamples of the test prompts behind each confidence interval.</param>
/// <param name="EncoderDimension">Length of the TF-IDF feature vectors.</param>
public sealed record EvaluationOptions(int Seed = 1, int CostWeights = CostWeightSweep.DefaultCount, int BootstrapSamples = 1000, int EncoderDimension = 1024);
