using Dial.Storage;

namespace Dial.Gateway.Tests.Learning;

/// <summary>The learner in the gateway with the default SQLite store and snapshots: feedback teaches it, a crash loses nothing.</summary>
public sealed class DurableLearningTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dial-learning-");

    [Fact]
    public async Task Feedback_teaches_the_learner_and_a_crash_after_the_last_snapshot_loses_none_of_it()
    {
        var settings = LearningHost.Settings(_folder, "gateway.db");
        byte[] early;
        IReadOnlyList<(string, double, double)> untaught, taught;
        await using (var first = LearningHost.Start(settings))
        {
            using var client = first.CreateClient();
            var learning = LearningHost.Learning(first);
            untaught = LearningHost.Probe(learning);
            for (var i = 0; i < 3; i++) await LearningHost.ServeAndScoreAsync(client, LearningHost.Prompts[i], 0);
            Assert.Equal(3, learning.Applied); // applied before the feedback was acknowledged
            Assert.True(await learning.SnapshotAsync(CancellationToken.None));
            early = new SqliteLearnerStateStore(settings["Dial:Learning:StatePath"]!).Load("dial:learner")!;
            for (var i = 3; i < 6; i++) await LearningHost.ServeAndScoreAsync(client, LearningHost.Prompts[i], 0);
            Assert.Equal(6, learning.Applied);
            taught = LearningHost.Probe(learning);
        }
        Assert.NotEqual(untaught, taught);

        // A crash right after the snapshot of the first three: the shutdown snapshot never happened.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        new SqliteLearnerStateStore(settings["Dial:Learning:StatePath"]!).Save("dial:learner", early);

        await using var restarted = LearningHost.Start(settings);
        var again = LearningHost.Learning(restarted);
        Assert.Equal(6, again.Applied);
        Assert.Equal(taught, LearningHost.Probe(again));
    }

    [Fact]
    public async Task Without_any_snapshot_the_whole_feedback_log_is_replayed()
    {
        var settings = LearningHost.Settings(_folder, "replay.db");
        IReadOnlyList<(string, double, double)> taught;
        await using (var first = LearningHost.Start(settings))
        {
            using var client = first.CreateClient();
            for (var i = 0; i < 4; i++) await LearningHost.ServeAndScoreAsync(client, LearningHost.Prompts[i], i % 2);
            taught = LearningHost.Probe(LearningHost.Learning(first));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(settings["Dial:Learning:StatePath"]!);

        await using var restarted = LearningHost.Start(settings);
        var again = LearningHost.Learning(restarted);
        Assert.Equal(4, again.Applied);
        Assert.Equal(taught, LearningHost.Probe(again));
    }

    [Fact]
    public void An_unknown_learner_stops_start_up_with_the_setting_named()
    {
        using var factory = LearningHost.Start(LearningHost.Settings(_folder, "bad.db", learner: "ucb2"));
        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Dial:Learning:Learner: unknown learner 'ucb2'", e.ToString());
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
