using BenchmarkDotNet.Attributes;
using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Policy;

namespace Dial.Benchmarks;

/// <summary>
/// How long the Dial policy takes to decide, with the prompt's features already computed (cached on the
/// <see cref="Prompt"/>). The goal is a median under 50 µs. <see cref="DialEnsemble.Route"/> predicts afresh, as a
/// gateway does for a prompt it has never seen; an evaluation sweep predicts once and only decides per preference.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class PolicyRoutingBenchmark
{
    private DialPolicy _policy = null!;
    private DialEnsemble _ensemble = null!;
    private RoutingRequest[] _requests = null!;
    private CandidatePredictions[] _predictions = null!;
    private float[] _features = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var table = RoutingTableReader.Read(FindData("routerbench.jsonl.gz"));
        var train = table.Where(Split.Train);
        var context = new TrainingContext(train, HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text)), RewardScaleCalibration.Calibrate(train));
        // Decision cost does not depend on how well the policy is trained, only on its shape.
        var options = new PolicyOptions { Epochs = 1, WarmStartEpochs = 1 };
        _policy = new DialPolicyTrainer(Feedback.Bandit, options with { EnsembleSize = 1 }).TrainPolicy(context);
        // The router 'dial eval' measures: the default ensemble, sharing one encoder.
        _ensemble = new DialPolicyTrainer(Feedback.Bandit, options).TrainEnsemble(context);
        var test = table.Where(Split.Test);
        _requests = test.Prompts.Take(64).Select((p, i) => new RoutingRequest(new Prompt(p.Text), Preference.FromCostWeight(i / 64.0 * 0.3), table.Models)).ToArray();
        foreach (var r in _requests)
        {
            r.Prompt.Features(_policy.Encoder);
            r.Prompt.Features(_ensemble.Encoder);
        }
        _predictions = _requests.Select(r => _ensemble.Predict(r.Prompt, r.Candidates)).ToArray();
        _features = new float[_ensemble.Encoder.Dimension];
    }

    [Benchmark(Description = "route one prompt over 11 candidates, features cached")]
    public RoutingDecision Route()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        return _policy.Route(request);
    }

    [Benchmark(Description = "default ensemble: route one prompt over 11 candidates, features cached")]
    public RoutingDecision RouteEnsemble()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        return _ensemble.Route(request);
    }

    [Benchmark(Description = "default ensemble's encoder: featurise one prompt (4096-d hashed TF-IDF)")]
    public float Encode()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        // Into a reused buffer, as the ensemble encodes a prompt nobody has encoded yet.
        _ensemble.Encoder.Encode(request.Prompt.Text, _features);
        return _features[0];
    }

    [Benchmark(Description = "default ensemble: one more preference for a prompt already predicted (a sweep's step)")]
    public RoutingDecision DecideFromPredictions()
    {
        var i = _next;
        _next = (_next + 1) % _requests.Length;
        return _ensemble.Decide(_requests[i], _predictions[i]);
    }

    internal static string FindData(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"data file {file} not found above {AppContext.BaseDirectory}");
    }
}
