namespace Dial.Learning.Baselines;

/// <summary>Trains predict-then-optimise routers over a <see cref="FactorisationScoreNetwork"/> ("mf").</summary>
public sealed class MatrixFactorisationRouterTrainer(int dimension = 32) : IRouterTrainer
{
    public string Name => "mf";

    public IRouter Train(TrainingContext context)
    {
        var train = TrainingSet.Of(context);
        var random = new Random(context.Seed);
        var network = new FactorisationScoreNetwork(context.Encoder.Dimension, dimension, train.ModelCount, random);
        ScoreNetworkFit.Train(network, train, new ScoreNetworkOptions(), random);
        return new PredictThenOptimiseRouter(Name, new NetworkScorePredictor(network, train, context.Encoder), context.Scale);
    }
}
