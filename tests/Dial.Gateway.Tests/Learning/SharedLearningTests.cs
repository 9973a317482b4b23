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
