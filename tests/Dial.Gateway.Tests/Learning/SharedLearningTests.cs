using StackExchange.Redis;
using Microsoft.Extensions.DependencyInjection;
namespace Dial.Gateway.Tests.Learning;

/// <summary>
/// The redis-server named by DIAL_TEST_REDIS (set by .ci/run). Under CI=true its absence fails the tests;
/// elsewhere the fixture starts a throwaway server with .ci/redis.sh, and fails if it cannot.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private string? _startedDir;

    public string Address { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("DIAL_TEST_REDIS") is { Length: > 0 } configured)
        {
            Address = configured;
            return;
        }
        if (Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException("DIAL_TEST_REDIS is not set: .ci/run must start redis-server (bash .ci/redis.sh start)");
        var output = await CiScripts.RunAsync("redis.sh", "start");
        Address = CiScripts.Value(output, "DIAL_TEST_REDIS");
        _startedDir = CiScripts.Value(output, "DIAL_TEST_REDIS_DIR");
    }

    public async Task DisposeAsync()
    {
        if (_startedDir is not null) await CiScripts.RunAsync("redis.sh", "stop", _startedDir);
    }
}

/// <summary>Two gateway replicas, each with its own SQLite store, sharing one learner through a real redis-server.</summary>
public sealed class SharedLearningTests(RedisFixture redis) : IClassFixture<RedisFixture>, IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dial-shared-learning-");

    private Dictionary<string, string?> Settings(string store, string key)
    {
        var settings = LearningHost.Settings(_folder, store);
        settings["Dial:Learning:Redis"] = redis.Address;
        settings["Dial:Learning:Key"] = key;
        return settings;
    }

    [Fact]
    public async Task Feedback_to_one_replica_teaches_the_other_and_a_restart_loses_nothing()
    {
        var key = "dial:test:" + Guid.NewGuid().ToString("N");
        await using var a = LearningHost.Start(Settings("a.db", key));
        using var clientA = a.CreateClient();
        var learningA = LearningHost.Learning(a);
        IReadOnlyList<(string, double, double)> untaught;
        await using (var b = LearningHost.Start(Settings("b.db", key)))
        {
            var learningB = LearningHost.Learning(b);
            untaught = LearningHost.Probe(learningB);
            for (var i = 0; i < 3; i++) await LearningHost.ServeAndScoreAsync(clientA, LearningHost.Prompts[i], 0);
            Assert.Equal(3, learningA.Applied);
            await WaitForAsync(() => learningB.Applied == 3); // B's poller applies A's observations
            Assert.NotEqual(untaught, LearningHost.Probe(learningB));
            Assert.Equal(LearningHost.Probe(learningA), LearningHost.Probe(learningB));
        }

        // B is down while A learns more; B comes back from its snapshot in Redis plus the stream after it.
        for (var i = 3; i < 5; i++) await LearningHost.ServeAndScoreAsync(clientA, LearningHost.Prompts[i], 1);
        await using var restarted = LearningHost.Start(Settings("b.db", key));
        var learningB2 = LearningHost.Learning(restarted);
        Assert.Equal(5, learningB2.Applied);
        Assert.Equal(LearningHost.Probe(learningA), LearningHost.Probe(learningB2));
    }

    [Fact]
    public async Task The_stream_is_trimmed_only_behind_the_snapshot_and_every_live_replica_and_a_replica_left_behind_restarts_from_the_snapshot()
    {
        var key = "dial:test:" + Guid.NewGuid().ToString("N");
        var settingsA = Settings("a.db", key);
        settingsA["Dial:Learning:ReplicaTimeoutSeconds"] = "2";
        var settingsB = Settings("b.db", key);
        // B reads the stream only when it receives feedback itself, so it falls behind while A learns.
        settingsB["Dial:Learning:PollIntervalMilliseconds"] = "3600000";
        await using var a = LearningHost.Start(settingsA);
        await using var b = LearningHost.Start(settingsB);
        using var clientA = a.CreateClient();
        using var clientB = b.CreateClient();
        var (learningA, learningB) = (LearningHost.Learning(a), LearningHost.Learning(b));
        var db = a.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var stream = key + ":observations";

        for (var i = 0; i < 3; i++) await LearningHost.ServeAndScoreAsync(clientA, LearningHost.Prompts[i], 0);
        await Task.Delay(300); // A's poller records that it applied all three
        Assert.True(await learningA.SnapshotAsync(CancellationToken.None));
        Assert.Equal(3, await db.StreamLengthAsync(stream)); // B, live, has applied none of them

        await Task.Delay(2500); // B's watermark is now older than the replica timeout
        for (var i = 3; i < 5; i++) await LearningHost.ServeAndScoreAsync(clientA, LearningHost.Prompts[i], 1);
        await Task.Delay(300);
        Assert.True(await learningA.SnapshotAsync(CancellationToken.None));
        Assert.Equal(1, await db.StreamLengthAsync(stream)); // only the entry the snapshot and A stand at
        Assert.Equal(0, learningB.Applied);

        // B's own feedback makes it read: it finds itself behind the trimmed part, restarts from A's snapshot, and applies its entry.
        await LearningHost.ServeAndScoreAsync(clientB, LearningHost.Prompts[5], 1);
        Assert.Equal(6, learningB.Applied);
        await WaitForAsync(() => learningA.Applied == 6);
        Assert.Equal(LearningHost.Probe(learningA), LearningHost.Probe(learningB));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), "the other replica did not apply the observations within 10 s");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // a file still held for a moment; a leftover temp folder is harmless
        }
    }
}
