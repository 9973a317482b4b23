using System.Globalization;
using StackExchange.Redis;

namespace Dial.Gateway.Learning;

/// <summary>
/// A Redis stream as the observation log shared by replicas: the replica that receives feedback appends it
/// (XADD), every replica reads the stream in order (XREAD after its position) and applies each entry once.
/// Positions are stream entry ids, which Redis assigns in append order. Each read also records the reader's
/// position as its watermark, so the stream is trimmed only behind every live replica
/// (<see cref="RedisLearnerStateStore"/>); a replica found behind the trimmed part gets
/// <see cref="ObservationLogTrimmedException"/> instead of a silent gap.
/// </summary>
public sealed class RedisObservationLog(IConnectionMultiplexer redis, string key, TimeProvider clock) : IObservationLog
{
    private readonly RedisKey _stream = RedisLearningScripts.Stream(key);
    private readonly string _replica = Guid.NewGuid().ToString("N");

    public string Start => "0-0";

    public async Task AppendAsync(RoutingFeedback feedback, CancellationToken ct)
    {
        var p = feedback.Preference;
        NameValueEntry[] fields =
        [
            new("request_id", feedback.RequestId),
            new("prompt", feedback.Prompt),
            new("model", feedback.Model),
            new("score", feedback.Score.ToString("R", CultureInfo.InvariantCulture)),
            new("cost_usd", feedback.CostUsd.ToString("R", CultureInfo.InvariantCulture)),
            new("preference", p is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.Quality:R},{v.Cost:R},{v.Latency:R}") : ""),
        ];
        await redis.GetDatabase().StreamAddAsync(_stream, fields).WaitAsync(ct);
    }

    public async Task<IReadOnlyList<LearningObservation>> ReadAfterAsync(string position, int max, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        // The watermark first: a trim that runs after it keeps everything after this position.
        await db.HashSetAsync(RedisLearningScripts.Replicas(key), _replica, $"{position} {clock.GetUtcNow().ToUnixTimeMilliseconds()}").WaitAsync(ct);
        if ((int)await db.ScriptEvaluateAsync(RedisLearningScripts.Behind, [RedisLearningScripts.Trimmed(key)], [position]).WaitAsync(ct) == 1)
            throw new ObservationLogTrimmedException($"Redis stream {_stream} was trimmed past position {position}: this replica fell behind (silent longer than Dial:Learning:ReplicaTimeoutSeconds)");
        var entries = await db.StreamReadAsync(_stream, position, max).WaitAsync(ct);
        return entries.Select(Parse).ToArray();
    }

    private LearningObservation Parse(StreamEntry entry)
    {
        string Field(string name) => entry[name] is { IsNull: false } v ? v.ToString()
            : throw new InvalidDataException($"Redis stream {_stream} entry {entry.Id}: field '{name}' is missing");
        double Number(string name) => double.TryParse(Field(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
            ? x : throw new InvalidDataException($"Redis stream {_stream} entry {entry.Id}: field '{name}' is not a number");
        var preference = Field("preference") is { Length: > 0 } text
            ? text.Split(',') is [var q, var c, var l]
                ? new Preference(double.Parse(q, CultureInfo.InvariantCulture), double.Parse(c, CultureInfo.InvariantCulture), double.Parse(l, CultureInfo.InvariantCulture))
                : throw new InvalidDataException($"Redis stream {_stream} entry {entry.Id}: preference '{text}' is not quality,cost,latency")
            : (Preference?)null;
        return new LearningObservation(entry.Id.ToString(), Field("request_id"), Field("prompt"), preference, Field("model"), Number("score"), Number("cost_usd"));
    }
}
