using Dial.Learning.Online;
using StackExchange.Redis;

namespace Dial.Gateway.Learning;

/// <summary>
/// Learner snapshots in Redis, where every replica (and a replica started later) finds them. A snapshot is only a
/// short cut: the observation stream keeps every entry, so a replica that loads an older snapshot than another
/// replica wrote just replays more of the stream.
/// </summary>
public sealed class RedisLearnerStateStore(IConnectionMultiplexer redis) : ILearnerStateStore
{
    public void Save(string key, byte[] state) => redis.GetDatabase().StringSet(key + ":snapshot", state);

    public byte[]? Load(string key) => redis.GetDatabase().StringGet(key + ":snapshot") is { IsNull: false } value ? (byte[])value! : null;
}
