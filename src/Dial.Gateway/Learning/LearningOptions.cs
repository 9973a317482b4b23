using Dial.Learning.Online;

namespace Dial.Gateway.Learning;

/// <summary>
/// Online learning in the gateway (section <c>Dial:Learning</c>). Off by default: with no <see cref="Learner"/> the
/// gateway routes with the trained <c>Dial:Router</c> and feedback is only stored. With a learner, the learner
/// routes every routed request itself (it has to choose, and so explore, to learn from bandit feedback) and learns
/// from every stored feedback.
/// </summary>
public sealed class LearningOptions
{
    /// <summary>linucb, ts, egreedy (linear bandits) or policy-ft (the offline policy, fine-tuned online); empty: off.</summary>
    public string? Learner { get; set; }

    /// <summary>Bandits start from every outcome of the table's train split (policy-ft always starts from the policy trained on it).</summary>
    public bool WarmStart { get; set; } = true;

    /// <summary>The learner kind's exploration parameter (alpha, posterior scale, epsilon); null: its default.</summary>
    public double? Exploration { get; set; }

    /// <summary>policy-ft only: whether its steps also move the prompt weights W_x (slower updates; see docs/online/README.md).</summary>
    public bool FineTunePromptWeights { get; set; } = PolicyFineTuner.DefaultPromptWeights;

    /// <summary>Principal components of the prompt features the bandits use.</summary>
    public int Components { get; set; } = 16;

    /// <summary>SQLite file of learner snapshots when Redis is not configured.</summary>
    public string StatePath { get; set; } = "dial-learner.db";

    /// <summary>
    /// StackExchange.Redis configuration (e.g. <c>127.0.0.1:6379</c>). When set, replicas share learning: every
    /// observation goes to one Redis stream that every replica applies in order, and snapshots live in Redis.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Names the learner's stream and snapshot, so gateways on one Redis can keep separate learners.</summary>
    public string Key { get; set; } = "dial:learner";

    public double SnapshotIntervalSeconds { get; set; } = 60;

    /// <summary>How often a replica looks for observations it has not applied (other replicas' feedback).</summary>
    public double PollIntervalMilliseconds { get; set; } = 250;

    /// <summary>
    /// With Redis: a replica that has not read the stream for this long is no longer waited for when the stream is
    /// trimmed (after each snapshot, up to what the snapshot and every live replica have applied); if it comes back
    /// behind the trimmed part, it restarts its learner from the snapshot. Bounds how long a dead replica keeps
    /// entries in Redis.
    /// </summary>
    public double ReplicaTimeoutSeconds { get; set; } = 600;

    public void Validate()
    {
        if (!(ReplicaTimeoutSeconds > 0)) throw new InvalidOperationException($"configuration Dial:Learning:ReplicaTimeoutSeconds must be positive, got {ReplicaTimeoutSeconds}");
        if (!(SnapshotIntervalSeconds > 0)) throw new InvalidOperationException($"configuration Dial:Learning:SnapshotIntervalSeconds must be positive, got {SnapshotIntervalSeconds}");
        if (!(PollIntervalMilliseconds > 0)) throw new InvalidOperationException($"configuration Dial:Learning:PollIntervalMilliseconds must be positive, got {PollIntervalMilliseconds}");
        if (Components < 1) throw new InvalidOperationException($"configuration Dial:Learning:Components must be at least 1, got {Components}");
        if (string.IsNullOrWhiteSpace(Key)) throw new InvalidOperationException("configuration Dial:Learning:Key must not be empty");
    }
}
