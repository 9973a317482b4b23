namespace Dial.Learning.Baselines;

/// <summary>Trains predict-then-optimise routers over a one-hidden-layer <see cref="MlpScoreNetwork"/> ("mlp").</summary>
public sealed class MlpRouterTrainer(int hidden = 64) : IRouterTrainer
{
    public string Name => "mlp";

    public IRouter Train(TrainingContext context) =>
        ScoreNetworkFit.TrainRouter(Name, context, (inputs, models, random) => new MlpScoreNetwork(inputs, hidden, models, random));
}
