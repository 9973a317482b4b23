using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Dial.Gateway.Configuration;
using Dial.Gateway.Security;
using Dial.Gateway.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dial.Gateway.Tests;

/// <summary>What both stores must do; run against SQLite and against a real PostgreSQL.</summary>
public abstract class StoreContract
{
    protected abstract IGatewayStore NewStore();

    protected static RequestRecord Request(string id, string? key = "team-a", double cost = 0.25, DateTimeOffset? at = null, Preference? preference = null) =>
        new(id, at ?? DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000), key, "dial/auto", "balanced", "good-large", "fake", "knn",
            preference, 0.8, 0.3, cost, 12.5, 200, 1, "the prompt, with 'quotes' and ünïcode");

    [Fact]
    public async Task Migrating_again_or_concurrently_is_harmless()
    {
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => NewStore().MigrateAsync(CancellationToken.None)));
        await NewStore().MigrateAsync(CancellationToken.None);
        await NewStore().PingAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Request_round_trips_and_a_duplicate_id_is_ignored()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var id = "req-" + Guid.NewGuid();
        var record = Request(id, preference: new Preference(0.7, 0.2, 0.1));
        await store.AppendRequestsAsync([record, Request("req-" + Guid.NewGuid(), key: null)], CancellationToken.None);
        await store.AppendRequestsAsync([record with { Model = "other" }], CancellationToken.None);

        var read = await store.FindRequestAsync(id, CancellationToken.None);

        Assert.Equal(record, read);
        Assert.Null(await store.FindRequestAsync("req-missing", CancellationToken.None));
    }

    [Fact]
    public async Task An_empty_prompt_is_stored_as_empty_text_and_absent_values_as_nulls()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var record = Request("req-" + Guid.NewGuid(), key: null) with { Prompt = "", Profile = null, Router = null, ExpectedQuality = null, ExpectedCostUsd = null };
        await store.AppendRequestsAsync([record], CancellationToken.None);

        Assert.Equal(record, await store.FindRequestAsync(record.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Feedback_is_kept_in_order_and_survives_reopening_the_store()
    {
        var id = "req-" + Guid.NewGuid();
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var first = new FeedbackRecord(id, 0.25, "meh", "team-a", DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000));
        var second = new FeedbackRecord(id, 1, null, null, DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_001_000));
        await store.AddFeedbackAsync(first, CancellationToken.None);
        await store.AddFeedbackAsync(second, CancellationToken.None);

        var reopened = NewStore();
        await reopened.MigrateAsync(CancellationToken.None);

        Assert.Equal([first, second], await reopened.FeedbackForAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Feedback_after_a_position_comes_in_order_with_its_request()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var before = await store.FeedbackAfterAsync(0, int.MaxValue, CancellationToken.None);
        var start = before.Count == 0 ? 0 : before[^1].Sequence;
        var request = Request("req-" + Guid.NewGuid(), preference: new Preference(0.6, 0.4));
        await store.AppendRequestsAsync([request], CancellationToken.None);
        var scores = new[] { 0.1, 0.9, 0.5 };
        foreach (var score in scores)
            await store.AddFeedbackAsync(new FeedbackRecord(request.Id, score, null, "team-a", request.At), CancellationToken.None);

        var all = await store.FeedbackAfterAsync(start, 10, CancellationToken.None);
        var rest = await store.FeedbackAfterAsync(all[0].Sequence, 1, CancellationToken.None);

        Assert.Equal(scores, all.Select(f => f.Feedback.Score));
        Assert.All(all, f => Assert.Equal(request, f.Request));
        Assert.True(all[0].Sequence < all[1].Sequence && all[1].Sequence < all[2].Sequence);
        Assert.Equal([all[1]], rest);
    }

    [Fact]
    public async Task Spend_is_counted_per_key_and_month_once_per_record()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var key = "key-" + Guid.NewGuid();
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000); // 2026-09-21
        var repeated = Request("r-" + Guid.NewGuid(), key, 0.25, t0.AddDays(1));
        var first = await store.AppendRequestsAsync(
        [
            Request("r-" + Guid.NewGuid(), key, 1, t0.AddDays(-40)),
            Request("r-" + Guid.NewGuid(), key, 0.5, t0),
            repeated,
            Request("r-" + Guid.NewGuid(), "someone-else", 100, t0),
        ], CancellationToken.None);
        var second = await store.AppendRequestsAsync([repeated, Request("r-" + Guid.NewGuid(), key, 0.125, t0)], CancellationToken.None);

        var month = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Contains(new KeySpend(key, month, 0.75, 0.75), first);
        Assert.Contains(new KeySpend(key, month.AddMonths(-1), 1, 1), first);
        Assert.Equal([new KeySpend(key, month, 0.125, 0.875)], second);
        Assert.Equal(0.875, await store.MonthSpendAsync(key, t0, CancellationToken.None), 12);
        Assert.Equal(1, await store.MonthSpendAsync(key, t0.AddDays(-40), CancellationToken.None), 12);
        Assert.Equal(0, await store.MonthSpendAsync("nobody", t0, CancellationToken.None));
    }
}

public sealed class SqliteStoreTests : StoreContract, IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("dial-sqlite-");

    protected override IGatewayStore NewStore() => new SqliteGatewayStore(Path.Combine(_folder.FullName, "state.db"));

    [Fact]
    public async Task Database_is_in_wal_mode()
    {
        await NewStore().MigrateAsync(CancellationToken.None);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder.FullName, "state.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Request_log_writer_yields_the_cpu_to_requests_and_still_stores_every_record()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        var log = new RequestLog(store, new SpendingTracker(store, TimeProvider.System, Options.Create(new GatewayOptions())), NullLogger<RequestLog>.Instance);
        await log.StartAsync(CancellationToken.None);
        var ids = Enumerable.Range(0, 50).Select(i => $"req-{i}-{Guid.NewGuid()}").ToList();
        foreach (var id in ids) await log.AppendAsync(Request(id), CancellationToken.None);
        await log.FlushAsync(CancellationToken.None);

        // Linux names a thread by the first 15 bytes of its name. Gateways that other tests host run writers too.
        var writers = LinuxThreads.Named("self", "dial-request-lo");
        Assert.NotEmpty(writers);
        Assert.All(writers, writer => Assert.Equal(SchedIdle, SchedulingPolicy(writer)));
        foreach (var id in ids) Assert.Equal(id, (await store.FindRequestAsync(id, CancellationToken.None))?.Id);
        await log.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Spending_cap_reads_the_store_off_the_callers_thread_and_still_enforces_the_cap()
    {
        var store = NewStore();
        await store.MigrateAsync(CancellationToken.None);
        await store.AppendRequestsAsync([Request("req-" + Guid.NewGuid(), key: "team-a", cost: 0.25, at: DateTimeOffset.UtcNow)], CancellationToken.None);
        var (recorded, recording) = ThreadRecordingStore.Over(store);
        var tracker = new SpendingTracker(recorded, TimeProvider.System, Options.Create(new GatewayOptions()));

        // A thread of its own stands for a socket thread: blocking on the check keeps it from running anything else.
        int caller = 0;
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            caller = Environment.CurrentManagedThreadId;
            try
            {
                tracker.EnsureWithinCapAsync(new ClientIdentity("team-a", 0.2), CancellationToken.None).AsTask().Wait();
            }
            catch (AggregateException e)
            {
                thrown = e.InnerException;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(429, Assert.IsType<Endpoints.GatewayException>(thrown).Status);
        var reads = recording.Threads(nameof(IGatewayStore.MonthSpendAsync));
        Assert.Single(reads);
        Assert.NotEqual(caller, reads[0]);
    }

    private const int SchedIdle = 5;

    /// <summary>Field 41 of the thread's stat line; fields are counted after the name, which may hold spaces.</summary>
    private static int SchedulingPolicy(string taskFolder)
    {
        var stat = File.ReadAllText(Path.Combine(taskFolder, "stat"));
        var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(afterName[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}

/// <summary>
/// Runs against the PostgreSQL named by DIAL_TEST_POSTGRES (set by .ci/run). Under CI=true its absence fails the
/// tests; elsewhere the fixture starts a throwaway cluster with .ci/postgres.sh, and fails if it cannot.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private string? _startedData;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("DIAL_TEST_POSTGRES") is { Length: > 0 } configured)
        {
            ConnectionString = configured;
            return;
        }
        if (Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException("DIAL_TEST_POSTGRES is not set: .ci/run must start PostgreSQL (bash .ci/postgres.sh start)");
        var output = await CiScripts.RunAsync("postgres.sh", "start");
        ConnectionString = CiScripts.Value(output, "DIAL_TEST_POSTGRES");
        _startedData = CiScripts.Value(output, "DIAL_TEST_PGDATA");
    }

    public async Task DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (_startedData is not null) await CiScripts.RunAsync("postgres.sh", "stop", _startedData);
    }
}

public sealed class PostgresStoreTests(PostgresFixture postgres) : StoreContract, IClassFixture<PostgresFixture>
{
    protected override IGatewayStore NewStore() => new PostgresGatewayStore(postgres.ConnectionString);
}

/// <summary>The gateway configured for PostgreSQL (several replicas share it): two gateways, one database.</summary>
public sealed class PostgresGatewayTests(PostgresFixture postgres, GatewayTestEnvironment env)
    : IClassFixture<PostgresFixture>, IClassFixture<GatewayTestEnvironment>
{
    [Fact]
    public async Task Feedback_given_to_one_replica_is_seen_by_another()
    {
        var settings = env.Settings("pg");
        settings["Dial:Store:Provider"] = "Postgres";
        settings["Dial:Store:ConnectionString"] = postgres.ConnectionString;
        await using var first = new GatewayFactory(settings);
        await using var second = new GatewayFactory(settings);
        using var a = first.CreateClient();
        using var b = second.CreateClient();

        var (chat, _) = await Http.PostAsync(a, "/v1/chat/completions", Http.Chat("dial/auto", "shared state"));
        var id = Http.Header(chat, "X-Dial-Request-Id");
        var (feedback, _) = await Http.PostAsync(a, "/v1/feedback", $$"""{"request_id": "{{id}}", "score": 0.4}""");
        var logged = System.Text.Json.Nodes.JsonNode.Parse(await b.GetStringAsync($"/v1/requests/{id}"))!;

        Assert.Equal(System.Net.HttpStatusCode.OK, feedback.StatusCode);
        Assert.Equal("good-large", logged["model"]!.GetValue<string>());
        Assert.Equal(0.4, logged["feedback"]![0]!["score"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_spending_cap_holds_across_replicas()
    {
        const string key = "dial-key-shared-cap";
        var settings = env.Settings("pg-cap");
        settings["Dial:Store:Provider"] = "Postgres";
        settings["Dial:Store:ConnectionString"] = postgres.ConnectionString;
        // A key name of its own per run: the database outlives the test, and spend accumulates per name and month.
        settings["Dial:Auth:Keys:0:Name"] = "shared-" + Guid.NewGuid().ToString("N");
        settings["Dial:Auth:Keys:0:Sha256"] = Security.ClientKeys.Hash(key);
        // A good-large call costs 0.00025 USD: three calls pass the cap, whichever replica serves them.
        settings["Dial:Auth:Keys:0:MonthlySpendingCapUsd"] = "0.0007";
        // Every check re-reads the shared total, so the test sees the other replica's spend as soon as it is stored.
        settings["Dial:Auth:SpendRefreshSeconds"] = "0";
        await using var first = new GatewayFactory(settings);
        await using var second = new GatewayFactory(settings);
        using var a = first.CreateClient();
        using var b = second.CreateClient();
        async Task<HttpStatusCode> Call(HttpClient client) => (await Http.PostAsync(client, "/v1/chat/completions", Http.Chat("good-large", "spend"), key)).Response.StatusCode;
        Task Flush(GatewayFactory replica) => replica.Services.GetRequiredService<RequestLog>().FlushAsync(CancellationToken.None);

        var fromB = await Call(b);
        await Flush(second);
        var fromA = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) fromA.Add(await Call(a));
        await Flush(first);
        var againFromB = await Call(b);

        // Alone, B would have counted only its own 0.00025 USD and served on.
        Assert.Equal(HttpStatusCode.OK, fromB);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], fromA);
        Assert.Equal(HttpStatusCode.TooManyRequests, againFromB);
    }
}

/// <summary>Passes every call to a real store and notes the thread each method was entered on.</summary>
public class ThreadRecordingStore : System.Reflection.DispatchProxy
{
    private IGatewayStore _inner = null!;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Method, int Thread)> _calls = new();

    public static (IGatewayStore Store, ThreadRecordingStore Recording) Over(IGatewayStore inner)
    {
        var proxy = Create<IGatewayStore, ThreadRecordingStore>();
        var recording = (ThreadRecordingStore)(object)proxy;
        recording._inner = inner;
        return (proxy, recording);
    }

    public int[] Threads(string method) => _calls.Where(c => c.Method == method).Select(c => c.Thread).ToArray();

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        _calls.Enqueue((targetMethod!.Name, Environment.CurrentManagedThreadId));
        return targetMethod.Invoke(_inner, args);
    }
}
