using Dial.Learning.Online;
using Microsoft.Data.Sqlite;

namespace Dial.Storage;

/// <summary>
/// Learner snapshots in one SQLite file, one row per key. WAL journaling lets a gateway keep routing (reading)
/// while a snapshot is written, and a crash mid-write leaves the previous snapshot intact. Connections are not
/// pooled: each call opens and closes the file, so nothing stays locked between the (infrequent) snapshots.
/// </summary>
public sealed class SqliteLearnerStateStore : ILearnerStateStore
{
    private readonly string _connectionString;

    public SqliteLearnerStateStore(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("learner state store needs a file path", nameof(path));
        Path = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (directory is not null && !Directory.Exists(directory))
            throw new DirectoryNotFoundException($"learner state store {Path}: folder {directory} does not exist");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();
        using var connection = Open();
        try
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS learner_state (
                    key      TEXT PRIMARY KEY,
                    state    BLOB NOT NULL,
                    saved_at TEXT NOT NULL
                );
                """);
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException($"learner state store {Path}: {e.Message}", e);
        }
    }

    public string Path { get; }

    public void Save(string key, byte[] state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(state);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO learner_state (key, state, saved_at) VALUES ($key, $state, $savedAt)
            ON CONFLICT(key) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at;
            """;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$savedAt", DateTimeOffset.UtcNow.ToString("O"));
        command.ExecuteNonQuery();
    }

    public byte[]? Load(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM learner_state WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>The journal mode SQLite reports for the file ("wal" once the store has opened it).</summary>
    public string JournalMode()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        return (string)command.ExecuteScalar()!;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new InvalidDataException($"learner state store {Path}: {e.Message}", e);
        }
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
