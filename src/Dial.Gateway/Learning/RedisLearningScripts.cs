using StackExchange.Redis;

namespace Dial.Gateway.Learning;

/// <summary>
/// The keys a shared learner uses in Redis and the scripts that change several of them at once. Redis runs a
/// script atomically, so no replica sees, or acts on, half of a change.
/// <list type="bullet">
/// <item><c>KEY:observations</c>: the stream every replica applies in order.</item>
/// <item><c>KEY:snapshot</c> and <c>KEY:snapshot:position</c>: the newest snapshot and the stream entry it covers.</item>
/// <item><c>KEY:replicas</c>: per live replica, the position it has applied and when it said so (watermarks).</item>
/// <item><c>KEY:trimmed</c>: entries before this id may have been removed from the stream.</item>
/// </list>
/// </summary>
internal static class RedisLearningScripts
{
    public static RedisKey Stream(string key) => key + ":observations";

    public static RedisKey Snapshot(string key) => key + ":snapshot";

    public static RedisKey SnapshotPosition(string key) => key + ":snapshot:position";

    public static RedisKey Replicas(string key) => key + ":replicas";

    public static RedisKey Trimmed(string key) => key + ":trimmed";

    // Stream ids are "milliseconds-sequence"; both parts stay below 2^53, so Lua's doubles compare them exactly.
    private const string Older = """
        local function older(a, b)
          local am, as = string.match(a, '^(%d+)%-(%d+)$')
          local bm, bs = string.match(b, '^(%d+)%-(%d+)$')
          am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
          return am < bm or (am == bm and as < bs)
        end
        """;

    /// <summary>
    /// Stores a snapshot unless the stored one covers a later position: a replica that lags behind must not replace
    /// a newer snapshot, since the stream may already be trimmed up to that one. Returns 1 if stored.
    /// KEYS: snapshot, snapshot position; ARGV: state, position.
    /// </summary>
    public const string SaveSnapshot = Older + "\n" + """
        local stored = redis.call('GET', KEYS[2])
        if stored and older(ARGV[2], stored) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;

    /// <summary>
    /// Removes the stream entries before the oldest position anyone may still read after: the stored snapshot's
    /// (a restart replays after it) and every live replica's watermark (a running replica reads after its own).
    /// A watermark older than the timeout belongs to a replica that is gone or stalled: it is dropped, and such a
    /// replica, if it comes back, finds its position before <c>KEY:trimmed</c> and reloads the snapshot.
    /// Returns the id entries before which were removed, or nil when there is no snapshot yet.
    /// KEYS: stream, snapshot position, replicas, trimmed; ARGV: now (ms), replica timeout (ms).
    /// </summary>
    public const string Trim = Older + "\n" + """
        local keep = redis.call('GET', KEYS[2])
        if not keep then return nil end
        local now, timeout = tonumber(ARGV[1]), tonumber(ARGV[2])
        local replicas = redis.call('HGETALL', KEYS[3])
        for i = 1, #replicas, 2 do
          local position, at = string.match(replicas[i + 1], '^(%S+) (%d+)$')
          if tonumber(at) < now - timeout then
            redis.call('HDEL', KEYS[3], replicas[i])
          elseif older(position, keep) then
            keep = position
          end
        end
        redis.call('XTRIM', KEYS[1], 'MINID', keep)
        local trimmed = redis.call('GET', KEYS[4])
        if not trimmed or older(trimmed, keep) then redis.call('SET', KEYS[4], keep) end
        return keep
        """;

    /// <summary>Whether position ARGV[1] comes before KEYS[1] (the trimmed mark), i.e. entries after it may be gone.</summary>
    public const string Behind = Older + "\n" + """
        local trimmed = redis.call('GET', KEYS[1])
        if trimmed and older(ARGV[1], trimmed) then return 1 end
        return 0
        """;
}
