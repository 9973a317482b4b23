namespace Dial.Learning.Baselines;

/// <summary>Trains predict-then-optimise routers over a <see cref="FactorisationScoreNetwork"/> ("mf").</summary>
public sealed class MatrixFactorisationRouterTrainer(int dimension = 32) : IRouterTrainer
{
    public string Name => "mf";

    public IRouter Train(TrainingContext context) =>
        ScoreNetworkFit.TrainRouter(Name, context, (inputs, models, random) => new FactorisationScoreNetwork(inputs, dimension, models, random));
}
