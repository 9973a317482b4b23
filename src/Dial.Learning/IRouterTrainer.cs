namespace Dial.Learning;

/// <summary>Builds one kind of router from training data. The harness and the CLI know routers only through this.</summary>
public interface IRouterTrainer
{
    /// <summary>The router's name in reports and on the command line (e.g. "knn", "dial").</summary>
    string Name { get; }

    IRouter Train(TrainingContext context);
}
