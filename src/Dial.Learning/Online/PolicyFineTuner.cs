using Dial.Learning.Policy;

namespace Dial.Learning.Online;

/// <summary>
/// The offline-trained policy ensemble, the one the gateway serves, fine-tuned online: every observed outcome is
/// one supervised step (Adam, batch of one) of every member's quality head (cross-entropy against the score) and
/// cost head (squared error of log cost) on the chosen model, the same terms the offline trainer uses for the arm
/// it observed. The ensemble routes by the argmax of its members' mean predicted utility, so correcting a model's
/// predicted quality and cost on the prompts it served is what moves its decisions; a model that starts answering
/// worse is routed away from as soon as its predictions fall. With probability epsilon a uniformly random
/// candidate is routed instead, so a model the policy underrates is still tried now and then.
/// <para>
/// An update costs microseconds, not a copy of the network: the gradient of one observation is zero in W_x's
/// columns of the prompt's zero features, so each step (<see cref="SparseAdam"/>: Adam that moves only the entries
/// a step has a gradient for in W_x, densely elsewhere) touches those few columns plus the small parameters.
/// </para>
/// <para>
/// Concurrency, left-right: two copies of the ensemble, equal between updates. Decisions read the active copy,
/// registered with one of two read counters; they never wait and never lock. The writer applies a step to the
/// standby copy, makes it the active one, waits until every decision that may still read the old copy has left
/// (the two counters let it wait only for decisions that started before the switch), then adds the same step to
/// the old copy. Adding the same floats to equal values gives equal values, so the copies stay bit-for-bit equal.
/// </para>
/// </summary>
public sealed class PolicyFineTuner : IOnlineLearner
{
    public const string KindName = "policy-ft";
    // Chosen by replay on RouterBench's train split (3 seeds, w = 0.1, with drift): 0.01 beat 0.05 and 0.1; learning rate 1e-3 beat 3e-4 and 3e-3.
    public const double DefaultEpsilon = 0.01;
    public const float DefaultLearningRate = 1e-3f;
    // Replay on RouterBench's train split (3 seeds, w = 0.1, drift; the ensemble): moving W_x too gained 0.008 mean
    // reward over 3,000 requests (intervals overlapping) for ~45 times the update time; moving only the columns of the
    // prompt's 64 largest features gained nothing. So by default W_x keeps its offline values.
    public const bool DefaultPromptWeights = false;

    private const string Magic = "DIAL-POLICY-FT-2";

    private readonly object _writeLock = new();
    private readonly DialEnsemble[] _copies;
    private readonly long[] _readers = new long[2];
    private readonly SparseAdam[] _optimisers;
    private readonly PolicyPass[] _passes;
    private readonly PolicyObjective _objective = new(new PolicyOptions(), 1);
    private readonly float[] _noFeatures;
    private readonly float[] _projection;
    private readonly float[] _costProjection;
    private int _active;
    private int _readIndicator;
    private long _decisions;
    private long _updates;

    /// <param name="policy">The offline policy ensemble; it is copied, never changed.</param>
    /// <param name="promptWeights">
    /// Whether steps also move W_x (in the prompt's non-zero feature columns). Off, W_x keeps its offline values and
    /// an update costs about one routing decision; on, it also costs time in proportion to the prompt's non-zero
    /// features (a thousand or more for long prompts under character n-grams).
    /// </param>
    public PolicyFineTuner(DialEnsemble policy, double epsilon = DefaultEpsilon, float learningRate = DefaultLearningRate, int seed = 1, bool promptWeights = DefaultPromptWeights)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Epsilon = EpsilonGreedyRouter.CheckEpsilon(epsilon);
        if (!(learningRate > 0 && float.IsFinite(learningRate)))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be a positive number");
        LearningRate = learningRate;
        Seed = seed;
        PromptWeights = promptWeights;
        _copies = [Copy(policy), Copy(policy)];
        _optimisers = policy.Members.Select(m => new SparseAdam(m.Network, learningRate, promptWeights)).ToArray();
        _passes = policy.Members.Select(m => new PolicyPass(m.Network, 1)).ToArray();
        _noFeatures = new float[policy.Members[0].Network.Features];
        _projection = new float[policy.Members.Count * policy.Members[0].Network.Hidden];
        _costProjection = new float[policy.Members.Count * policy.Members[0].Network.CostRank];
    }

    public string Name => KindName;

    public double Epsilon { get; }

    public float LearningRate { get; }

    public int Seed { get; }

    public bool PromptWeights { get; }

    /// <summary>Outcomes learned from so far.</summary>
    public long Updates => Interlocked.Read(ref _updates);

    public int Members => _copies[0].Members.Count;

    /// <summary>A copy of the ensemble as fine-tuned so far, e.g. to save as a policy file.</summary>
    public DialEnsemble CurrentPolicy()
    {
        lock (_writeLock) return Copy(_copies[_active]);
    }

    public RoutingDecision Route(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = RouteActive(request);
        var random = new DecisionRandom(Seed, Interlocked.Increment(ref _decisions));
        var explore = random.NextDouble() < Epsilon;
        var chosen = explore ? request.Candidates[random.NextInt(request.Candidates.Count)].Name : decision.Model;
        var n = request.Candidates.Count;
        // The reported probabilities are the epsilon-greedy policy's, for off-policy evaluation.
        var scores = decision.Candidates
            .Select(c => c with { Probability = Epsilon / n + (c.Model == decision.Model ? 1 - Epsilon : 0) })
            .ToArray();
        return new RoutingDecision(KindName, chosen, scores);
    }

    public void Observe(RoutingRequest request, string model, Outcome outcome)
    {
        ArgumentNullException.ThrowIfNull(request);
        var card = request.Candidates.FirstOrDefault(c => c.Name == model)
            ?? throw new ArgumentException($"observed model '{model}' was not a candidate of the request ({string.Join(", ", request.Candidates.Select(c => c.Name))})", nameof(model));
        if (!(outcome.Score >= 0 && outcome.Score <= 1))
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Score, $"outcome of '{model}': score must be in [0, 1]");
        if (!(outcome.CostUsd >= 0 && double.IsFinite(outcome.CostUsd)))
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome.CostUsd, $"outcome of '{model}': cost must be a finite non-negative number of USD");
        var features = request.Prompt.Features(_copies[0].Encoder);
        var logLength = DialPolicy.LogLength(request.Prompt.Text);
        var item = _copies[0].Items?.ItemOf(request.Prompt);
        ReadOnlySpan<float> score = [(float)outcome.Score];
        ReadOnlySpan<float> cost = [(float)_copies[0].Scale.NormalizeCost(outcome.CostUsd)];
        lock (_writeLock)
        {
            var standby = _copies[1 - _active];
            // Every member's prompt projections at once, from the ensemble's contiguous stacked copy of W_x and U.
            standby.Project(features, _projection, _costProjection);
            for (var m = 0; m < standby.Members.Count; m++)
            {
                var member = standby.Members[m];
                var pass = _passes[m];
                pass.Reset(1, request.Preference);
                member.Describer.Describe(card, pass.Descriptor(0));
                pass.SetItemLogit(0, item);
                pass.Latency[0] = DialPolicy.NormalizedLatency(card, standby.Scale);
                _projection.AsSpan(m * pass.Projection.Length, pass.Projection.Length).CopyTo(pass.Projection);
                pass.LogLength = logLength;
                _costProjection.AsSpan(m * pass.CostProjection.Length, pass.CostProjection.Length).CopyTo(pass.CostProjection);
                member.Network.ScoreCandidates(pass);
                // Zero features keep the backward pass from scattering W_x's gradient into the network's row-major
                // matrix; the optimiser forms that gradient itself from the projection's gradient, column by column.
                // The cost term's prompt weights U get none either, so online they stay as trained (its u₀, S, s₀ learn).
                _objective.WarmStart(member.Network, pass, _noFeatures, score, cost, backward: true);
                _optimisers[m].Step(member.Network, pass.ProjectionGradient, features);
                standby.ApplyStep(m, _optimisers[m].Change);
            }
            var old = _copies[_active];
            Volatile.Write(ref _active, 1 - _active);
            WaitForReadersOf();
            for (var m = 0; m < old.Members.Count; m++) old.ApplyStep(m, _optimisers[m].Change);
            Interlocked.Increment(ref _updates);
        }
    }

    /// <summary>
    /// The fine-tuner's settings and counters and the fine-tuned ensemble as a policy file. The Adam moments are not
    /// kept: a restored fine-tuner restarts them, which only changes the size of its next few steps.
    /// </summary>
    public byte[] Snapshot()
    {
        lock (_writeLock)
        {
            using var stream = new MemoryStream();
            using (var w = new BinaryWriter(stream))
            {
                w.Write(Magic);
                w.Write(Epsilon);
                w.Write(LearningRate);
                w.Write(Seed);
                w.Write(PromptWeights);
                w.Write(Interlocked.Read(ref _decisions));
                w.Write(_updates);
                // Between updates both copies are equal and only the writer, who holds the lock, changes them.
                PolicyFile.Write(_copies[_active], w);
            }
            return stream.ToArray();
        }
    }

    public static PolicyFineTuner Restore(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var r = new BinaryReader(new MemoryStream(snapshot));
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"not a policy fine-tuner snapshot (expected header '{Magic}')");
            var epsilon = r.ReadDouble();
            var learningRate = r.ReadSingle();
            var seed = r.ReadInt32();
            var promptWeights = r.ReadBoolean();
            var decisions = r.ReadInt64();
            var updates = r.ReadInt64();
            var policy = PolicyFile.Read(r, "policy fine-tuner snapshot");
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("policy fine-tuner snapshot has trailing bytes");
            return new PolicyFineTuner(policy, epsilon, learningRate, seed, promptWeights) { _decisions = decisions, _updates = updates };
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("policy fine-tuner snapshot is truncated");
        }
    }

    /// <summary>Routes with the active copy, registered so the writer does not change that copy meanwhile.</summary>
    private RoutingDecision RouteActive(RoutingRequest request)
    {
        var indicator = Volatile.Read(ref _readIndicator);
        Interlocked.Increment(ref _readers[indicator]);
        try
        {
            return _copies[Volatile.Read(ref _active)].Route(request);
        }
        finally
        {
            Interlocked.Decrement(ref _readers[indicator]);
        }
    }

    /// <summary>
    /// Returns once no decision can still be reading the copy that was active before the last switch. A decision
    /// registers before it reads which copy is active, so one registered with the current indicator may hold the
    /// old copy: new decisions are sent to the other indicator, and the writer waits for both to empty in turn
    /// (first the other one, left over from the previous update, so the wait cannot be prolonged by new arrivals).
    /// </summary>
    private void WaitForReadersOf()
    {
        var previous = _readIndicator;
        var next = 1 - previous;
        WaitUntilEmpty(next);
        Volatile.Write(ref _readIndicator, next);
        WaitUntilEmpty(previous);
    }

    private void WaitUntilEmpty(int indicator)
    {
        var spin = new SpinWait();
        while (Interlocked.Read(ref _readers[indicator]) != 0) spin.SpinOnce();
    }

    private static DialEnsemble Copy(DialEnsemble policy) =>
        new(policy.Name, policy.Members.Select(m => new DialPolicy(m.Name, m.Encoder, m.Scale, Copy(m.Network), m.Describer, m.Models, m.Items)).ToArray());

    private static PolicyNetwork Copy(PolicyNetwork source)
    {
        var copy = new PolicyNetwork(source.Features, source.Descriptor, source.Hidden, source.Beta, new Random(0), source.HasItemPrior, source.CostRank);
        var from = source.Parameters;
        var to = copy.Parameters;
        for (var i = 0; i < from.Count; i++) from[i].Value.CopyTo(to[i].Value, 0);
        return copy;
    }
}
