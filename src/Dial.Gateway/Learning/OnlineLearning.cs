using Dial.Gateway.Routing;
using Dial.Learning;
using Dial.Learning.Online;
using Dial.Learning.Policy;

namespace Dial.Gateway.Learning;

/// <summary>
/// The gateway's online learner: routes every routed request and learns from every observation of the
/// <see cref="IObservationLog"/>, in log order, exactly once. Its state is always "a snapshot plus the log after
/// the snapshot's position": at construction it restores the latest snapshot (or builds a fresh learner),
/// <see cref="CatchUpAsync"/> applies what the log holds beyond that, and <see cref="SnapshotAsync"/> stores the
/// learner with the position it has reached. Feedback acknowledged by the gateway is durable in the log before
/// the client hears back, so a crash loses no feedback's effect: the next start replays it.
/// <para>
/// Routing never waits for learning: the learner's own Route is lock-free; only appliers (the feedback sink and
/// the poller) take turns on a semaphore.
/// </para>
/// </summary>
public sealed class OnlineLearning : IRouter, IFeedbackSink, IDisposable
{
    private const string Magic = "DIAL-GATEWAY-LEARNER-1";
    private const int ReadBatch = 1000;

    private readonly LearningOptions _options;
    private readonly ModelCatalog _models;
    private readonly ILearnerStateStore _states;
    private readonly IObservationLog _log;
    private readonly ILogger<OnlineLearning> _logger;
    private readonly RoutingData _data;
    private readonly SemaphoreSlim _applying = new(1, 1);
    private IOnlineLearner _learner;
    private string _position;
    private long _applied;
    private long _appliedAtSnapshot = -1;

    /// <param name="servedPolicy">
    /// The policy ensemble the gateway would serve without learning (its <c>Dial:PolicyFile</c> or trained
    /// <c>dial</c> router), or null when it serves another router; policy-ft fine-tunes it, or else a freshly
    /// trained ensemble. Called only when policy-ft starts without a snapshot.
    /// </param>
    public OnlineLearning(LearningOptions options, RoutingData data, ModelCatalog models, ILearnerStateStore states, IObservationLog log, int seed, ILogger<OnlineLearning> logger,
        Func<DialEnsemble?>? servedPolicy = null)
    {
        options.Validate();
        _options = options;
        _models = models;
        _states = states;
        _log = log;
        _logger = logger;
        _data = data;
        var kind = options.Learner ?? throw new InvalidOperationException("configuration Dial:Learning:Learner is not set");
        if (!OnlineLearnerFactory.Kinds.Contains(kind) && kind != PolicyFineTuner.KindName)
            throw new InvalidOperationException($"configuration Dial:Learning:Learner: unknown learner '{kind}'; known: {string.Join(", ", OnlineLearnerFactory.Kinds)}, {PolicyFineTuner.KindName}");
        if (options.Exploration is { } exploration)
        {
            try
            {
                if (kind == PolicyFineTuner.KindName) EpsilonGreedyRouter.CheckEpsilon(exploration);
                else OnlineLearnerFactory.CheckExploration(kind, exploration);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"configuration Dial:Learning:Exploration: {e.Message}", e);
            }
        }
        Kind = kind;
        if (states.Load(options.Key) is { } saved)
        {
            (_learner, _position, _applied) = Restore(saved, kind, data);
            _appliedAtSnapshot = _applied;
            logger.LogInformation("restored {Learner} learner snapshot at log position {Position} ({Applied} observations)", kind, _position, _applied);
        }
        else
        {
            _learner = Fresh(kind, options, data, seed, servedPolicy);
            _position = log.Start;
        }
    }

    /// <summary>The configured learner kind (linucb, ts, egreedy, policy-ft).</summary>
    public string Kind { get; }

    public string Name => Learner.Name;

    public IOnlineLearner Learner => Volatile.Read(ref _learner);

    /// <summary>Observations applied since the learner was created (snapshots carry the count).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    public RoutingDecision Route(RoutingRequest request) => Learner.Route(request);

    /// <summary>Stored feedback: appended to the log (a no-op when the log is the store) and applied before the client is answered.</summary>
    public async ValueTask OnFeedbackAsync(RoutingFeedback feedback, CancellationToken cancellationToken)
    {
        await _log.AppendAsync(feedback, cancellationToken);
        await CatchUpAsync(cancellationToken);
    }

    /// <summary>Applies every observation of the log after the learner's position; returns how many.</summary>
    public async Task<int> CatchUpAsync(CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            var total = 0;
            while (true)
            {
                IReadOnlyList<LearningObservation> batch;
                try
                {
                    batch = await _log.ReadAfterAsync(_position, ReadBatch, ct);
                }
                catch (ObservationLogTrimmedException e)
                {
                    ReloadSnapshot(e);
                    continue;
                }
                foreach (var observation in batch) Apply(observation);
                total += batch.Count;
                if (batch.Count < ReadBatch) return total;
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    /// <summary>Stores the learner and its log position, unless nothing was applied since the last snapshot.</summary>
    public async Task<bool> SnapshotAsync(CancellationToken ct)
    {
        await _applying.WaitAsync(ct);
        try
        {
            if (_applied == _appliedAtSnapshot) return false;
            using var stream = new MemoryStream();
            using (var w = new BinaryWriter(stream))
            {
                w.Write(Magic);
                w.Write(Kind);
                w.Write(_position);
                w.Write(_applied);
                var state = Learner.Snapshot();
                w.Write(state.Length);
                w.Write(state);
            }
            _states.Save(_options.Key, stream.ToArray());
            _appliedAtSnapshot = _applied;
            return true;
        }
        finally
        {
            _applying.Release();
        }
    }

    public void Dispose() => _applying.Dispose();

    /// <summary>The log position a snapshot made by <see cref="SnapshotAsync"/> covers.</summary>
    public static string PositionOf(byte[] snapshot)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(snapshot));
            if (r.ReadString() != Magic) throw new InvalidDataException("not a gateway learner snapshot");
            r.ReadString();
            return r.ReadString();
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("gateway learner snapshot is truncated");
        }
    }

    /// <summary>
    /// This replica fell behind the trimmed log (it was silent longer than the replica timeout): the stored snapshot
    /// covers what was trimmed, so the learner restarts from it and goes on from its position. Routing meanwhile
    /// uses the old learner, then the restored one.
    /// </summary>
    private void ReloadSnapshot(ObservationLogTrimmedException trimmed)
    {
        var saved = _states.Load(_options.Key)
            ?? throw new InvalidOperationException($"{trimmed.Message}, and there is no snapshot '{_options.Key}' to restart from", trimmed);
        var (learner, position, applied) = Restore(saved, Kind, _data);
        if (position == _position)
            throw new InvalidOperationException($"{trimmed.Message}, and the snapshot '{_options.Key}' is no newer", trimmed);
        _logger.LogWarning("{Reason}; restarting the learner from the snapshot at position {Position}", trimmed.Message, position);
        Volatile.Write(ref _learner, learner);
        _position = position;
        Interlocked.Exchange(ref _applied, applied);
        _appliedAtSnapshot = applied;
    }

    private void Apply(LearningObservation observation)
    {
        // The position advances past an observation that cannot be learned from too: every replica skips it alike.
        _position = observation.Position;
        Interlocked.Increment(ref _applied);
        if (!_models.TryGet(observation.Model, out var route))
        {
            _logger.LogWarning("feedback for request {RequestId} names model {Model}, which no upstream serves now; not learned from", observation.RequestId, observation.Model);
            return;
        }
        var request = new RoutingRequest(observation.Prompt, observation.Preference ?? Preference.QualityOnly, [route.Card]);
        try
        {
            Learner.Observe(request, observation.Model, new Outcome(observation.Score, observation.CostUsd));
        }
        catch (ArgumentException e)
        {
            _logger.LogWarning("feedback for request {RequestId} not learned from: {Reason}", observation.RequestId, e.Message);
        }
    }

    private static IOnlineLearner Fresh(string kind, LearningOptions options, RoutingData data, int seed, Func<DialEnsemble?>? servedPolicy)
    {
        var context = new TrainingContext(data.Train, data.Encoder, data.Scale, seed);
        if (kind == PolicyFineTuner.KindName)
            return new PolicyFineTuner(servedPolicy?.Invoke() ?? new DialPolicyTrainer(Feedback.Bandit).TrainEnsemble(context), options.Exploration ?? PolicyFineTuner.DefaultEpsilon, seed: seed, promptWeights: options.FineTunePromptWeights);
        var learner = OnlineLearnerFactory.Create(kind, OfflineRidgeTrainer.FitFeatures(context, options.Components), data.Scale, new BanditOptions(Seed: seed), options.Exploration);
        if (options.WarmStart) OfflineRidgeTrainer.ObserveAll(learner, data.Train);
        return learner;
    }

    private (IOnlineLearner Learner, string Position, long Applied) Restore(byte[] saved, string kind, RoutingData data)
    {
        var where = $"learner snapshot '{_options.Key}'";
        try
        {
            using var r = new BinaryReader(new MemoryStream(saved));
            if (r.ReadString() != Magic) throw new InvalidDataException($"{where}: not a gateway learner snapshot");
            var savedKind = r.ReadString();
            if (savedKind != kind)
                throw new InvalidOperationException($"{where} holds a {savedKind} learner but Dial:Learning:Learner is {kind}; choose another Dial:Learning:Key or remove the snapshot");
            var position = r.ReadString();
            var applied = r.ReadInt64();
            var state = r.ReadBytes(r.ReadInt32());
            IOnlineLearner learner = kind == PolicyFineTuner.KindName ? PolicyFineTuner.Restore(state) : LinearBanditRouter.Restore(state, data.Encoder);
            return (learner, position, applied);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw new InvalidOperationException($"{where}: {e.Message}", e);
        }
    }
}
