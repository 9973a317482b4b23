using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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

    /// <remarks>
    /// Bound through SQLite's own API on the same connection and transaction: Microsoft.Data.Sqlite looks every
    /// parameter up by name and copies every string into a new UTF-8 array on every execution, about 4 KB of garbage
    /// per logged request (the prompt above all), a seventh of what a routed request allocated.
    /// </remarks>
    protected override Task<bool[]> InsertRequestsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> requests, CancellationToken ct)
    {
        var db = ((SqliteConnection)connection).Handle;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, InsertRequestSql, out var insert), db);
        using (insert)
        {
            var stored = new bool[requests.Count];
            for (var i = 0; i < requests.Count; i++)
            {
                var values = ValuesOf(requests[i]);
                for (var c = 0; c < values.Length; c++) SqliteException.ThrowExceptionForRC(Bind(insert, c + 1, values[c]), db);
                SqliteException.ThrowExceptionForRC(raw.sqlite3_step(insert), db);
                stored[i] = raw.sqlite3_changes(db) == 1;
                raw.sqlite3_reset(insert);
            }
            return Task.FromResult(stored);
        }
    }

    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        string s => raw.sqlite3_bind_text16(statement, index, s),
        long l => raw.sqlite3_bind_int64(statement, index, l),
        int i => raw.sqlite3_bind_int(statement, index, i),
        double d => raw.sqlite3_bind_double(statement, index, d),
        _ => throw new ArgumentException($"no SQLite binding for a {value.GetType().Name}", nameof(value)),
    };

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
