namespace Dial.Learning.Baselines;

/// <summary>Trains predict-then-optimise routers over <see cref="RidgeScorePredictor"/> ("ridge").</summary>
public sealed class RidgeRouterTrainer(double penalty = RidgeRouterTrainer.DefaultPenalty) : IRouterTrainer
{
    public const double DefaultPenalty = 1.0;

    public string Name => "ridge";

    public IRouter Train(TrainingContext context) =>
        new PredictThenOptimiseRouter(Name, RidgeScorePredictor.Fit(TrainingSet.Of(context), context.Encoder, penalty), context.Scale);
}
