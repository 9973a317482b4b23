namespace Dial.Learning.Baselines;

/// <summary>Trains <see cref="KnnPredictor"/> routers ("knn").</summary>
public sealed class KnnRouterTrainer(int k = 20) : IRouterTrainer
{
    public string Name => "knn";

    public IRouter Train(TrainingContext context) =>
        new PredictThenOptimiseRouter(Name, new KnnPredictor(TrainingSet.Of(context), context.Encoder, k), context.Scale);
}
