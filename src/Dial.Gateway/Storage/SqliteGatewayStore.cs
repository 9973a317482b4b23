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
            var binder = new Binder(insert, db);
            for (var i = 0; i < requests.Count; i++)
            {
                WriteRow(requests[i], ref binder);
                SqliteException.ThrowExceptionForRC(raw.sqlite3_step(insert), db);
                stored[i] = raw.sqlite3_changes(db) == 1;
                raw.sqlite3_reset(insert);
            }
            return Task.FromResult(stored);
        }
    }

    /// <summary>Binds each value to its parameter (1-based, in column order) with no boxing and no copy of strings.</summary>
    private readonly struct Binder(sqlite3_stmt statement, sqlite3? db) : IRowSink
    {
        public void Text(int column, string? value) =>
            Check(value is null ? raw.sqlite3_bind_null(statement, column + 1) : raw.sqlite3_bind_text16(statement, column + 1, value));

        public void Integer(int column, long value) => Check(raw.sqlite3_bind_int64(statement, column + 1, value));

        public void Integer(int column, int value) => Check(raw.sqlite3_bind_int(statement, column + 1, value));

        public void Real(int column, double? value) =>
            Check(value is { } v ? raw.sqlite3_bind_double(statement, column + 1, v) : raw.sqlite3_bind_null(statement, column + 1));

        private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, db);
    }

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
