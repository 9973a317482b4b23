using Dial.Learning.Online;
using StackExchange.Redis;

namespace Dial.Gateway.Learning;

/// <summary>
/// Learner snapshots in Redis, where every replica (and a replica started later) finds them. The stored snapshot
/// only moves forward in the stream: one that covers an earlier position than the stored one is not saved. After
/// each snapshot the stream is trimmed up to what the stored snapshot and every live replica have applied
/// (<see cref="RedisLearningScripts.Trim"/>), so it holds only what someone may still have to replay. The states it
/// stores are <see cref="OnlineLearning"/> snapshots, whose log position it reads.
/// </summary>
public sealed class RedisLearnerStateStore(IConnectionMultiplexer redis, TimeSpan replicaTimeout, TimeProvider clock) : ILearnerStateStore
{
    public void Save(string key, byte[] state)
    {
        var db = redis.GetDatabase();
        var position = OnlineLearning.PositionOf(state);
        db.ScriptEvaluate(RedisLearningScripts.SaveSnapshot, [RedisLearningScripts.Snapshot(key), RedisLearningScripts.SnapshotPosition(key)], [state, position]);
        db.ScriptEvaluate(RedisLearningScripts.Trim,
            [RedisLearningScripts.Stream(key), RedisLearningScripts.SnapshotPosition(key), RedisLearningScripts.Replicas(key), RedisLearningScripts.Trimmed(key)],
            [clock.GetUtcNow().ToUnixTimeMilliseconds(), (long)replicaTimeout.TotalMilliseconds]);
    }

    public byte[]? Load(string key) => redis.GetDatabase().StringGet(RedisLearningScripts.Snapshot(key)) is { IsNull: false } value ? (byte[])value! : null;
}
