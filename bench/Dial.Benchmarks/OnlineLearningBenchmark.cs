using BenchmarkDotNet.Attributes;
using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Online;
using Dial.Learning.Policy;

namespace Dial.Benchmarks;

/// <summary>
/// What one observation costs the online learners (the issue asks for microseconds), and what Thompson sampling's
/// choice probabilities add to a decision; prompt features cached, as in the gateway.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class OnlineLearningBenchmark
{
    private PolicyFineTuner _frozen = null!;
    private PolicyFineTuner _promptWeights = null!;
    private LinearBanditRouter _thompson = null!;
    private LinearBanditRouter _linUcb = null!;
    private RoutingRequest[] _requests = null!;
    private Outcome[] _outcomes = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var table = RoutingTableReader.Read(PolicyRoutingBenchmark.FindData("routerbench.jsonl.gz"));
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text)), RewardScaleCalibration.Calibrate(train));
        // Update cost depends on the ensemble's shape only, not on how well it is trained.
        var ensemble = new DialPolicyTrainer(Feedback.Bandit, new PolicyOptions { Epochs = 1, WarmStartEpochs = 1 }).TrainEnsemble(context);
        _frozen = new PolicyFineTuner(ensemble, promptWeights: false);
        _promptWeights = new PolicyFineTuner(ensemble, promptWeights: true);
        var features = OfflineRidgeTrainer.FitFeatures(context, 16);
        _thompson = OnlineLearnerFactory.Create(LinearThompsonRouter.KindName, features, context.Scale, new BanditOptions());
        _linUcb = OnlineLearnerFactory.Create(LinUcbRouter.KindName, features, context.Scale, new BanditOptions());
        OfflineRidgeTrainer.ObserveAll(_thompson, train);
        OfflineRidgeTrainer.ObserveAll(_linUcb, train);
        var test = table.Where(Split.Test);
        _requests = test.Prompts.Take(64).Select(p => new RoutingRequest(new Prompt(p.Text), Preference.FromCostWeight(0.1), table.Models)).ToArray();
        _outcomes = _requests.Select((r, i) => new Outcome(i % 2, 0.001)).ToArray();
        foreach (var r in _requests)
        {
            r.Prompt.Features(ensemble.Encoder);
            r.Prompt.Features(features);
        }
    }

    [Benchmark(Description = "policy-ft observe (W_x frozen, default), 3-member ensemble")]
    public void ObserveFineTuner() => Observe(_frozen);

    [Benchmark(Description = "policy-ft observe, W_x columns of the prompt's non-zero features too")]
    public void ObserveFineTunerPromptWeights() => Observe(_promptWeights);

    [Benchmark(Description = "linucb observe")]
    public void ObserveLinUcb() => Observe(_linUcb);

    [Benchmark(Description = "linucb route, 11 candidates")]
    public RoutingDecision RouteLinUcb() => _linUcb.Route(NextRequest());

    [Benchmark(Description = "ts route with choice probabilities, 11 candidates")]
    public RoutingDecision RouteThompson() => _thompson.Route(NextRequest());

    private void Observe(IOnlineLearner learner)
    {
        var i = _next;
        var request = NextRequest();
        learner.Observe(request, request.Candidates[i % request.Candidates.Count].Name, _outcomes[i]);
    }

    private RoutingRequest NextRequest()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        return request;
    }
}
