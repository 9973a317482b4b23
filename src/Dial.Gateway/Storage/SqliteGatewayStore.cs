using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Dial.Gateway.Storage;

/// <summary>
/// The default store: one SQLite file in WAL mode. The request log is written with synchronous=NORMAL (a crash
/// may lose the last batch, never corrupt the file); feedback with synchronous=FULL, so an acknowledged score
/// is on disk before the client hears back.
/// </summary>
public sealed class SqliteGatewayStore : AdoGatewayStore
{
    private readonly string _connectionString;

    /// <param name="connection">A file path, or a full connection string (anything containing '=').</param>
    public SqliteGatewayStore(string connection)
    {
        var builder = connection.Contains('=') ? new SqliteConnectionStringBuilder(connection) : new SqliteConnectionStringBuilder { DataSource = connection };
        builder.Pooling = true;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } dir) Directory.CreateDirectory(dir);
        _connectionString = builder.ToString();
    }

    protected override string IdentityColumn => "INTEGER PRIMARY KEY";

    protected override Task<DbConnection> OpenAsync(CancellationToken ct) => OpenAsync("NORMAL", ct);

    protected override Task<DbConnection> OpenDurableAsync(CancellationToken ct) => OpenAsync("FULL", ct);

    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        Task.CompletedTask; // SQLite's write lock, taken by the migration's first write, already serialises migrations

    private async Task<DbConnection> OpenAsync(string synchronous, CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        // WAL persists in the file; synchronous and busy_timeout are per connection, so set on every open.
        pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }
}
