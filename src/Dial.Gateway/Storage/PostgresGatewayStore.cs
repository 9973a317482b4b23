using System.Data.Common;
using Npgsql;

namespace Dial.Gateway.Storage;

/// <summary>
/// The store for several gateway replicas sharing one PostgreSQL database. Commits are durable by
/// PostgreSQL's defaults (synchronous_commit=on), so acknowledged feedback survives a crash.
/// </summary>
public sealed class PostgresGatewayStore(string connectionString) : AdoGatewayStore, IAsyncDisposable
{
    // Any fixed number: replicas starting together take this advisory lock so only one migrates at a time.
    private const long MigrationLockId = 0x4469616C; // "Dial"

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    protected override string IdentityColumn => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"SELECT pg_advisory_xact_lock({MigrationLockId})";
        await command.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
