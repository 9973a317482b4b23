namespace Dial.Learning.Baselines;

/// <summary>Trains predict-then-optimise routers over a one-hidden-layer <see cref="MlpScoreNetwork"/> ("mlp").</summary>
public sealed class MlpRouterTrainer(int hidden = 64) : IRouterTrainer
{
    public string Name => "mlp";

    public IRouter Train(TrainingContext context)
    {
        var train = TrainingSet.Of(context);
        var random = new Random(context.Seed);
        var network = new MlpScoreNetwork(context.Encoder.Dimension, hidden, train.ModelCount, random);
        ScoreNetworkFit.Train(network, train, new ScoreNetworkOptions(), random);
        return new PredictThenOptimiseRouter(Name, new NetworkScorePredictor(network, train, context.Encoder), context.Scale);
    }
}
