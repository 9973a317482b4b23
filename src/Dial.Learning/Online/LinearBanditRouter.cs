namespace Dial.Learning.Online;

/// <summary>
/// The common machinery of Dial's linear bandits: per model, ridge regressions of quality and of cost on the
/// prompt's projected features (see <see cref="ArmEstimate"/>), scalarised only at decision time by the
/// request's own preference. Quality and cost of a model on a prompt do not depend on who asks, so one learner
/// stays valid for every trade-off; a learner of the scalar reward would have to relearn whenever the dial moves.
/// <para>
/// Concurrency: <see cref="Route"/> reads one immutable <see cref="ArmTable"/> with a volatile read and never
/// takes a lock. <see cref="Observe"/> serialises writers on a private lock, clones the one estimate it changes
/// (O(d^2)), updates it by Sherman–Morrison and publishes a new table. A routing call therefore sees either the
/// table before or after an update, never half of one, and never waits.
/// </para>
/// Subclasses decide only how predictions become a choice: <see cref="Decide"/>.
/// </summary>
public abstract class LinearBanditRouter : IOnlineLearner
{
    private const string Magic = "DIAL-BANDIT-1";

    private readonly object _writeLock = new();
    private readonly Dictionary<string, Queue<WindowEntry>> _windows = new(StringComparer.Ordinal);
    private readonly ArmEstimate _prior;
    private ArmTable _arms = ArmTable.Empty;
    private long _decisions;

    protected LinearBanditRouter(PcaEncoder features, RewardScale scale, BanditOptions options)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Features = features;
        Scale = scale;
        Options = options;
        _prior = ArmEstimate.Prior(features.Dimension + 1, options.Ridge);
    }

    /// <summary>The kind of learner ("linucb", "ts", "egreedy"); with a window, <see cref="Name"/> adds "-wN".</summary>
    public abstract string Kind { get; }

    /// <summary>The kind's own exploration parameter (alpha, posterior scale or epsilon), stored in snapshots.</summary>
    public abstract double Exploration { get; }

    public virtual string Name => Windowed(Kind);

    protected string Windowed(string name) => Options.Window > 0 ? $"{name}-w{Options.Window}" : name;

    public PcaEncoder Features { get; }

    public RewardScale Scale { get; }

    public BanditOptions Options { get; }

    public RoutingDecision Route(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Candidates.Count == 0) throw new ArgumentException("a routing request needs at least one candidate model", nameof(request));
        var arms = Volatile.Read(ref _arms);
        var x = Context(request.Prompt);
        var preference = request.Preference.Normalized();
        var predictions = new ArmPrediction[request.Candidates.Count];
        for (var i = 0; i < predictions.Length; i++)
        {
            var card = request.Candidates[i];
            var (quality, cost, width) = (arms.Find(card.Name) ?? _prior).Predict(x);
            // The regressions are unconstrained; a score outside [0, 1] or a negative cost is not a possible outcome.
            quality = Math.Clamp(quality, 0, 1);
            var costUsd = Math.Max(cost, 0) * Scale.CostUsd;
            var utility = preference.Utility(quality, costUsd, card.MedianLatencyMs ?? 0, Scale);
            predictions[i] = new ArmPrediction(card, quality, costUsd, utility, width, preference.Quality, preference.Cost);
        }
        var random = new DecisionRandom(Options.Seed, Interlocked.Increment(ref _decisions));
        return Decide(predictions, ref random);
    }

    /// <summary>Turns the candidates' predictions into a decision; <paramref name="random"/> is this decision's own stream.</summary>
    internal abstract RoutingDecision Decide(ArmPrediction[] predictions, ref DecisionRandom random);

    public void Observe(RoutingRequest request, string model, Outcome outcome)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Candidates.Any(c => c.Name == model))
            throw new ArgumentException($"observed model '{model}' was not a candidate of the request ({string.Join(", ", request.Candidates.Select(c => c.Name))})", nameof(model));
        if (!(outcome.Score >= 0 && outcome.Score <= 1))
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Score, $"outcome of '{model}': score must be in [0, 1]");
        if (!(outcome.CostUsd >= 0 && double.IsFinite(outcome.CostUsd)))
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome.CostUsd, $"outcome of '{model}': cost must be a finite non-negative number of USD");
        var x = Context(request.Prompt);
        var cost = Scale.NormalizeCost(outcome.CostUsd);
        lock (_writeLock)
        {
            var arm = (_arms.Find(model) ?? _prior).Clone();
            arm.Update(x, outcome.Score, cost, +1);
            if (Options.Window > 0)
            {
                if (!_windows.TryGetValue(model, out var window)) _windows[model] = window = new Queue<WindowEntry>(Options.Window + 1);
                window.Enqueue(new WindowEntry(x, outcome.Score, cost));
                if (window.Count > Options.Window)
                {
                    var old = window.Dequeue();
                    arm.Update(old.Context, old.Quality, old.Cost, -1);
                }
            }
            arm.RefreshWeights();
            Volatile.Write(ref _arms, _arms.With(model, arm));
        }
    }

    /// <summary>Observations each model's estimate holds now.</summary>
    public IReadOnlyDictionary<string, long> ObservationCounts
    {
        get
        {
            var arms = Volatile.Read(ref _arms);
            return arms.Names.Select((n, i) => (n, arms.Estimates[i].Observations)).ToDictionary(t => t.n, t => t.Observations, StringComparer.Ordinal);
        }
    }

    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            lock (_writeLock)
            {
                w.Write(Magic);
                w.Write(Kind);
                w.Write(Exploration);
                w.Write(Options.Ridge);
                w.Write(Options.Window);
                w.Write(Options.Seed);
                w.Write(Scale.CostUsd);
                w.Write(Scale.LatencyMs);
                w.Write(Interlocked.Read(ref _decisions));
                Features.Write(w);
                var arms = _arms;
                w.Write(arms.Names.Length);
                for (var a = 0; a < arms.Names.Length; a++)
                {
                    var e = arms.Estimates[a];
                    w.Write(arms.Names[a]);
                    w.Write(e.Observations);
                    WriteArray(w, e.Inverse);
                    WriteArray(w, e.QualityTarget);
                    WriteArray(w, e.CostTarget);
                    var window = _windows.GetValueOrDefault(arms.Names[a]);
                    w.Write(window?.Count ?? 0);
                    foreach (var entry in window ?? [])
                    {
                        WriteArray(w, entry.Context);
                        w.Write(entry.Quality);
                        w.Write(entry.Cost);
                    }
                }
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Rebuilds a learner from <see cref="Snapshot"/> bytes. <paramref name="text"/> is the prompt encoder the
    /// learner's features were fitted on (encoders are stored on their own).
    /// </summary>
    public static LinearBanditRouter Restore(byte[] snapshot, IPromptEncoder text)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var r = new BinaryReader(new MemoryStream(snapshot));
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"not a Dial bandit snapshot (expected header '{Magic}')");
            var kind = r.ReadString();
            var exploration = r.ReadDouble();
            var options = new BanditOptions(r.ReadDouble(), r.ReadInt32(), r.ReadInt32());
            var scale = new RewardScale(r.ReadDouble(), r.ReadDouble());
            var decisions = r.ReadInt64();
            var features = PcaEncoder.Read(r, text);
            LinearBanditRouter learner = kind switch
            {
                LinUcbRouter.KindName => new LinUcbRouter(features, scale, options, exploration),
                LinearThompsonRouter.KindName => new LinearThompsonRouter(features, scale, options, exploration),
                EpsilonGreedyRouter.KindName => new EpsilonGreedyRouter(features, scale, options, exploration),
                _ => throw new InvalidDataException($"unknown bandit kind '{kind}' in snapshot"),
            };
            var d = features.Dimension + 1;
            var count = r.ReadInt32();
            var arms = ArmTable.Empty;
            for (var a = 0; a < count; a++)
            {
                var name = r.ReadString();
                var observations = r.ReadInt64();
                var estimate = ArmEstimate.FromParts(d, ReadArray(r, d * d), ReadArray(r, d), ReadArray(r, d), observations);
                arms = arms.With(name, estimate);
                var entries = r.ReadInt32();
                if (entries < 0 || entries > options.Window) throw new InvalidDataException($"snapshot holds {entries} window entries for '{name}' but the window is {options.Window}");
                if (entries == 0) continue;
                var window = new Queue<WindowEntry>(options.Window + 1);
                for (var i = 0; i < entries; i++) window.Enqueue(new WindowEntry(ReadArray(r, d), r.ReadDouble(), r.ReadDouble()));
                learner._windows[name] = window;
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("bandit snapshot has trailing bytes");
            learner._arms = arms;
            learner._decisions = decisions;
            return learner;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("bandit snapshot is truncated");
        }
    }

    /// <summary>The context vector: a constant 1 (the model's mean) followed by the projected prompt features.</summary>
    private double[] Context(Prompt prompt)
    {
        var f = prompt.Features(Features);
        var x = new double[f.Length + 1];
        x[0] = 1;
        for (var i = 0; i < f.Length; i++) x[i + 1] = f[i];
        return x;
    }

    private static void WriteArray(BinaryWriter w, double[] values)
    {
        foreach (var v in values) w.Write(v);
    }

    private static double[] ReadArray(BinaryReader r, int length)
    {
        var values = new double[length];
        for (var i = 0; i < length; i++) values[i] = r.ReadDouble();
        return values;
    }

    private sealed record WindowEntry(double[] Context, double Quality, double Cost);

    /// <summary>The published per-model estimates. Immutable: an update builds a new table.</summary>
    private sealed class ArmTable
    {
        private readonly Dictionary<string, int> _index;

        private ArmTable(string[] names, ArmEstimate[] estimates, Dictionary<string, int> index)
        {
            Names = names;
            Estimates = estimates;
            _index = index;
        }

        public static ArmTable Empty { get; } = new([], [], new Dictionary<string, int>(StringComparer.Ordinal));

        public string[] Names { get; }

        public ArmEstimate[] Estimates { get; }

        public ArmEstimate? Find(string name) => _index.TryGetValue(name, out var i) ? Estimates[i] : null;

        public ArmTable With(string name, ArmEstimate estimate)
        {
            if (_index.TryGetValue(name, out var i))
            {
                var estimates = (ArmEstimate[])Estimates.Clone();
                estimates[i] = estimate;
                return new ArmTable(Names, estimates, _index);
            }
            var index = new Dictionary<string, int>(_index, StringComparer.Ordinal) { [name] = Names.Length };
            return new ArmTable([.. Names, name], [.. Estimates, estimate], index);
        }
    }
}
