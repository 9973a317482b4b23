using System.Collections.Concurrent;
using Dial.Gateway.Endpoints;
using Dial.Gateway.Storage;

namespace Dial.Gateway.Security;

/// <summary>
/// Enforces each client key's monthly spending cap. A key's spend this UTC month is read from the store once
/// per process and month, then kept up to date in memory as requests complete, so the check costs no query.
/// With several replicas each one adds only its own spend after start-up: the cap then holds per replica
/// between restarts, which bounds overspend by (replicas - 1) x cap at worst.
/// </summary>
public sealed class SpendingTracker(IGatewayStore store, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<MonthlySpend>>> _spend = new(StringComparer.Ordinal);

    public async Task EnsureWithinCapAsync(ClientIdentity? client, CancellationToken ct)
    {
        if (client?.MonthlySpendingCapUsd is not { } cap) return;
        var spend = await CurrentAsync(client.Name, ct);
        if (spend.Usd >= cap)
            throw new GatewayException(429, "insufficient_quota", "spending_cap_reached",
                $"key '{client.Name}' has reached its monthly spending cap of {cap:0.####} USD");
    }

    public async Task AddAsync(ClientIdentity? client, double usd, CancellationToken ct)
    {
        if (client?.MonthlySpendingCapUsd is null || usd <= 0) return;
        (await CurrentAsync(client.Name, ct)).Add(usd);
    }

    private async Task<MonthlySpend> CurrentAsync(string key, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var entry = _spend.GetOrAdd(key, k => Load(k, month));
        var spend = await entry.Value.WaitAsync(ct);
        if (spend.Month == month) return spend;
        _spend.TryUpdate(key, Load(key, month), entry); // a new month starts from what the store holds for it
        return await _spend[key].Value.WaitAsync(ct);
    }

    private Lazy<Task<MonthlySpend>> Load(string key, DateTimeOffset month) =>
        new(async () => new MonthlySpend(month, await store.SpentUsdAsync(key, month, CancellationToken.None)));

    private sealed class MonthlySpend(DateTimeOffset month, double usd)
    {
        private double _usd = usd;
        private readonly Lock _lock = new();

        public DateTimeOffset Month { get; } = month;

        public double Usd
        {
            get { lock (_lock) return _usd; }
        }

        public void Add(double usd)
        {
            lock (_lock) _usd += usd;
        }
    }
}
