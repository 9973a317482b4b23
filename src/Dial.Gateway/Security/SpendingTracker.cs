using System.Collections.Concurrent;
using Dial.Gateway.Configuration;
using Dial.Gateway.Endpoints;
using Dial.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Dial.Gateway.Security;

/// <summary>
/// Enforces each client key's monthly spending cap without a query per request. A key's view is the stored
/// monthly total (every replica's committed spend, from the store's <c>dial_spend</c> counter) plus this
/// replica's spend not yet written by the request log. The total is refreshed from each request log write
/// (the write returns it) and, when a key's view is older than <see cref="AuthOptions.SpendRefreshSeconds"/>,
/// by one query before the check, shared by concurrent requests. So the spend another replica made is seen at
/// most that long plus its request log's write delay later: overspend beyond the cap is bounded by what the
/// other replicas admit in that window, plus requests already in flight when the cap is crossed.
/// </summary>
public sealed class SpendingTracker(IGatewayStore store, TimeProvider clock, IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, MonthlySpend> _spend = new(StringComparer.Ordinal);
    private readonly TimeSpan _refreshAfter = TimeSpan.FromSeconds(options.Value.Auth.SpendRefreshSeconds); // checked by ClientKeys at start-up

    public async ValueTask EnsureWithinCapAsync(ClientIdentity? client, CancellationToken ct)
    {
        if (client?.MonthlySpendingCapUsd is not { } cap) return;
        var spend = await CurrentAsync(client.Name, ct);
        if (spend.Usd >= cap)
            throw new GatewayException(429, "insufficient_quota", "spending_cap_reached",
                $"key '{client.Name}' has reached its monthly spending cap of {cap:0.####} USD");
    }

    /// <summary>A served request's cost, counted at once; the request log's write later moves it into the stored total.</summary>
    public async ValueTask AddAsync(ClientIdentity? client, double usd, CancellationToken ct)
    {
        if (client?.MonthlySpendingCapUsd is null || usd <= 0) return;
        (await CurrentAsync(client.Name, ct)).AddPending(usd);
    }

    /// <summary>Called by the request log after each write with the stored totals it returned.</summary>
    public void Committed(IReadOnlyList<KeySpend> spends)
    {
        var now = clock.GetUtcNow();
        foreach (var s in spends)
            if (_spend.TryGetValue(s.ClientKey, out var spend) && spend.Month == s.Month) spend.Commit(s.AddedUsd, s.TotalUsd, now);
    }

    private async ValueTask<MonthlySpend> CurrentAsync(string key, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var month = AdoGatewayStore.MonthOf(now);
        var spend = _spend.GetOrAdd(key, static (_, m) => new MonthlySpend(m), month);
        if (spend.Month != month)
        {
            // A new month starts from what the store holds for it.
            _spend.TryUpdate(key, new MonthlySpend(month), spend);
            spend = _spend[key];
        }
        // The query starts on the thread pool: SQLite's "asynchronous" calls block their caller, and with inline I/O
        // the caller is a socket thread whose every connection would wait for the query.
        if (now - spend.RefreshedAt >= _refreshAfter)
            await spend.RefreshAsync(() => Task.Run(() => store.MonthSpendAsync(key, month, CancellationToken.None)), clock).WaitAsync(ct);
        return spend;
    }

    private sealed class MonthlySpend(DateTimeOffset month)
    {
        private readonly Lock _lock = new();
        private double _stored;
        private double _pending;
        private Task? _refresh;

        public DateTimeOffset Month { get; } = month;

        public DateTimeOffset RefreshedAt { get; private set; } = DateTimeOffset.MinValue;

        public double Usd
        {
            get { lock (_lock) return _stored + _pending; }
        }

        public void AddPending(double usd)
        {
            lock (_lock) _pending += usd;
        }

        /// <summary>Totals only grow within a month, so a total read before a later write can never lower the view.</summary>
        public void Commit(double added, double total, DateTimeOffset at)
        {
            lock (_lock)
            {
                _pending = Math.Max(0, _pending - added);
                _stored = Math.Max(_stored, total);
                RefreshedAt = at;
            }
        }

        /// <summary>One query however many requests find the view stale at once.</summary>
        public Task RefreshAsync(Func<Task<double>> read, TimeProvider clock)
        {
            lock (_lock)
            {
                if (_refresh is { IsCompleted: false } running) return running;
                return _refresh = Run();
            }

            async Task Run()
            {
                var total = await read();
                lock (_lock)
                {
                    _stored = Math.Max(_stored, total);
                    RefreshedAt = clock.GetUtcNow();
                }
            }
        }
    }
}
