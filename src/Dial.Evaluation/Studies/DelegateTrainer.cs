using Dial.Learning;

namespace Dial.Evaluation.Studies;

/// <summary>A study's router variant as a trainer, so the harness measures it exactly like every other router.</summary>
public sealed class DelegateTrainer(string name, Func<TrainingContext, IRouter> train) : IRouterTrainer
{
    public string Name => name;

    public IRouter Train(TrainingContext context) => train(context);
}

/// <summary>
/// One value computed by whichever trainer asks first and shared by the rest: the harness trains routers in
/// parallel, and several study variants start from the same fitted policy.
/// </summary>
public sealed class SharedFit<T>(Func<TrainingContext, T> fit) where T : class
{
    private readonly Lock _gate = new();
    private T? _value;

    public T Get(TrainingContext context)
    {
        lock (_gate) return _value ??= fit(context);
    }
}
