using System.Data.Common;

namespace Dial.Gateway.Storage;

/// <summary>
/// The SQL both stores share. Times are Unix milliseconds and floats DOUBLE PRECISION, which SQLite and
/// PostgreSQL both accept, so the two differ only in connecting, migration locking and the id column.
/// </summary>
public abstract class AdoGatewayStore : IGatewayStore
{
    private const string RequestColumns =
        "id, created_ms, client_key, requested_model, profile, model, upstream, router, pref_quality, pref_cost, pref_latency, " +
        "expected_quality, expected_cost_usd, cost_usd, upstream_ms, status, fallbacks, prompt";

    private static readonly string[] RequestColumnNames = RequestColumns.Split(", ");

    /// <summary>Schema versions in order; a version once released is never edited, only followed by another.</summary>
    protected IReadOnlyList<string> Migrations =>
    [
        $"""
        CREATE TABLE dial_requests (
            id TEXT PRIMARY KEY,
            created_ms BIGINT NOT NULL,
            client_key TEXT,
            requested_model TEXT NOT NULL,
            profile TEXT,
            model TEXT NOT NULL,
            upstream TEXT,
            router TEXT,
            pref_quality DOUBLE PRECISION,
            pref_cost DOUBLE PRECISION,
            pref_latency DOUBLE PRECISION,
            expected_quality DOUBLE PRECISION,
            expected_cost_usd DOUBLE PRECISION,
            cost_usd DOUBLE PRECISION NOT NULL,
            upstream_ms DOUBLE PRECISION NOT NULL,
            status INTEGER NOT NULL,
            fallbacks INTEGER NOT NULL,
            prompt TEXT NOT NULL);
        CREATE INDEX dial_requests_by_key ON dial_requests (client_key, created_ms);
        CREATE TABLE dial_feedback (
            id {IdentityColumn},
            request_id TEXT NOT NULL,
            score DOUBLE PRECISION NOT NULL,
            comment TEXT,
            client_key TEXT,
            created_ms BIGINT NOT NULL);
        CREATE INDEX dial_feedback_by_request ON dial_feedback (request_id);
        """,
        // Spend per key and UTC month, added to in the request log's own transaction so replicas sharing the
        // store see each other's spend without summing the log; seeded with the current month's logged spend.
        $"""
        CREATE TABLE dial_spend (
            client_key TEXT NOT NULL,
            month_ms BIGINT NOT NULL,
            usd DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (client_key, month_ms));
        INSERT INTO dial_spend (client_key, month_ms, usd)
            SELECT client_key, {MonthOf(DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()}, SUM(cost_usd) FROM dial_requests
            WHERE client_key IS NOT NULL AND created_ms >= {MonthOf(DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()} GROUP BY client_key;
        """,
    ];

    /// <summary>The start of <paramref name="at"/>'s UTC calendar month: the period spending caps apply to.</summary>
    public static DateTimeOffset MonthOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>An auto-numbered primary key column in this dialect.</summary>
    protected abstract string IdentityColumn { get; }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Opened for writes that must be durable when the call returns.</summary>
    protected virtual Task<DbConnection> OpenDurableAsync(CancellationToken ct) => OpenAsync(ct);

    /// <summary>Serialises concurrent migrations inside <paramref name="tx"/> (several replicas starting at once).</summary>
    protected abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct);

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenDurableAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockForMigrationAsync(connection, tx, ct);
        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS dial_schema (version INTEGER NOT NULL)", ct);
        await using (var read = Command(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM dial_schema"))
        {
            var current = Convert.ToInt32(await read.ExecuteScalarAsync(ct));
            for (var v = current; v < Migrations.Count; v++)
            {
                await ExecuteAsync(connection, tx, Migrations[v], ct);
                await ExecuteAsync(connection, tx, $"INSERT INTO dial_schema (version) VALUES ({v + 1})", ct);
            }
        }
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<KeySpend>> AppendRequestsAsync(IReadOnlyList<RequestRecord> requests, CancellationToken ct)
    {
        if (requests.Count == 0) return [];
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var stored = await InsertRequestsAsync(connection, tx, requests, ct);
        var added = new Dictionary<(string Key, DateTimeOffset Month), double>();
        for (var i = 0; i < requests.Count; i++)
        {
            // A record already stored (same id) was counted when it was first stored.
            if (stored[i] && requests[i] is { ClientKey: { } key, CostUsd: > 0 } r)
                added[(key, MonthOf(r.At))] = added.GetValueOrDefault((key, MonthOf(r.At))) + r.CostUsd;
        }
        var spends = new List<KeySpend>(added.Count);
        foreach (var ((key, month), usd) in added)
        {
            // One atomic read-modify-write per key and batch: the row lock orders replicas' updates, and the
            // returned total includes every other replica's committed spend.
            await using var upsert = Command(connection, tx,
                "INSERT INTO dial_spend (client_key, month_ms, usd) VALUES (@client_key, @month_ms, @usd) " +
                "ON CONFLICT (client_key, month_ms) DO UPDATE SET usd = dial_spend.usd + excluded.usd RETURNING usd");
            Add(upsert, "client_key", key);
            Add(upsert, "month_ms", month.ToUnixTimeMilliseconds());
            Add(upsert, "usd", usd);
            spends.Add(new KeySpend(key, month, usd, Convert.ToDouble(await upsert.ExecuteScalarAsync(ct))));
        }
        await tx.CommitAsync(ct);
        return spends;
    }

    /// <summary>The request log's insert, one parameter per <see cref="RequestColumns"/> column in order; a stored id is left alone.</summary>
    protected static readonly string InsertRequestSql =
        $"INSERT INTO dial_requests ({RequestColumns}) VALUES ({string.Join(", ", RequestColumnNames.Select(c => "@" + c))}) ON CONFLICT (id) DO NOTHING";

    /// <summary>Takes a request row's values, each by its column's index in <see cref="RequestColumns"/> and its SQL type; null is SQL NULL.</summary>
    protected interface IRowSink
    {
        void Text(int column, string? value);

        void Integer(int column, long value);

        void Integer(int column, int value);

        void Real(int column, double? value);
    }

    /// <summary>Hands <paramref name="sink"/> every value of a record; a struct sink, so a store that binds natively boxes none of them.</summary>
    protected static void WriteRow<TSink>(RequestRecord r, ref TSink sink) where TSink : struct, IRowSink
    {
        sink.Text(0, r.Id); sink.Integer(1, r.At.ToUnixTimeMilliseconds()); sink.Text(2, r.ClientKey); sink.Text(3, r.RequestedModel);
        sink.Text(4, r.Profile); sink.Text(5, r.Model); sink.Text(6, r.Upstream); sink.Text(7, r.Router);
        sink.Real(8, r.Preference?.Quality); sink.Real(9, r.Preference?.Cost); sink.Real(10, r.Preference?.Latency);
        sink.Real(11, r.ExpectedQuality); sink.Real(12, r.ExpectedCostUsd); sink.Real(13, r.CostUsd); sink.Real(14, r.UpstreamMs);
        sink.Integer(15, r.Status); sink.Integer(16, r.Fallbacks); sink.Text(17, r.Prompt);
    }

    /// <summary>Inserts the records inside <paramref name="tx"/>; says of each whether it was stored now (false: its id already was).</summary>
    protected virtual async Task<bool[]> InsertRequestsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RequestRecord> requests, CancellationToken ct)
    {
        await using var insert = Command(connection, tx, InsertRequestSql);
        // One set of parameters for the whole batch, given each record's values in turn.
        var parameters = new Parameters(RequestColumnNames.Select(c => Add(insert, c, null)).ToArray());
        var stored = new bool[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            WriteRow(requests[i], ref parameters);
            stored[i] = await insert.ExecuteNonQueryAsync(ct) == 1;
        }
        return stored;
    }

    private readonly struct Parameters(DbParameter[] parameters) : IRowSink
    {
        public void Text(int column, string? value) => parameters[column].Value = value ?? (object)DBNull.Value;

        public void Integer(int column, long value) => parameters[column].Value = value;

        public void Integer(int column, int value) => parameters[column].Value = value;

        public void Real(int column, double? value) => parameters[column].Value = value ?? (object)DBNull.Value;
    }

    public async Task<RequestRecord?> FindRequestAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {RequestColumns} FROM dial_requests WHERE id = @id");
        Add(select, "id", id);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadRequest(reader, 0) : null;
    }

    public async Task<IReadOnlyList<LoggedFeedback>> FeedbackAfterAsync(long afterSequence, int max, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var columns = string.Join(", ", RequestColumnNames.Select(c => "r." + c));
        await using var select = Command(connection, null,
            $"SELECT f.id, f.request_id, f.score, f.comment, f.client_key, f.created_ms, {columns} FROM dial_feedback f " +
            "JOIN dial_requests r ON r.id = f.request_id WHERE f.id > @after ORDER BY f.id LIMIT @max");
        Add(select, "after", afterSequence);
        Add(select, "max", max);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var result = new List<LoggedFeedback>();
        while (await reader.ReadAsync(ct))
        {
            var feedback = new FeedbackRecord(reader.GetString(1), reader.GetDouble(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)));
            result.Add(new LoggedFeedback(reader.GetInt64(0), feedback, ReadRequest(reader, 6)));
        }
        return result;
    }

    /// <summary>A request row whose <see cref="RequestColumns"/> start at column <paramref name="at"/>.</summary>
    private static RequestRecord ReadRequest(DbDataReader reader, int at)
    {
        double? D(int i) => reader.IsDBNull(at + i) ? null : reader.GetDouble(at + i);
        string? S(int i) => reader.IsDBNull(at + i) ? null : reader.GetString(at + i);
        Preference? preference = D(8) is { } q ? new Preference(q, D(9) ?? 0, D(10) ?? 0) : null;
        return new RequestRecord(
            reader.GetString(at), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 1)), S(2), reader.GetString(at + 3), S(4),
            reader.GetString(at + 5), S(6), S(7), preference, D(11), D(12), reader.GetDouble(at + 13), reader.GetDouble(at + 14),
            reader.GetInt32(at + 15), reader.GetInt32(at + 16), reader.GetString(at + 17));
    }

    public async Task AddFeedbackAsync(FeedbackRecord feedback, CancellationToken ct)
    {
        await using var connection = await OpenDurableAsync(ct);
        await using var insert = Command(connection, null,
            "INSERT INTO dial_feedback (request_id, score, comment, client_key, created_ms) VALUES (@request_id, @score, @comment, @client_key, @created_ms)");
        Add(insert, "request_id", feedback.RequestId);
        Add(insert, "score", feedback.Score);
        Add(insert, "comment", feedback.Comment);
        Add(insert, "client_key", feedback.ClientKey);
        Add(insert, "created_ms", feedback.At.ToUnixTimeMilliseconds());
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<FeedbackRecord>> FeedbackForAsync(string requestId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null,
            "SELECT request_id, score, comment, client_key, created_ms FROM dial_feedback WHERE request_id = @request_id ORDER BY id");
        Add(select, "request_id", requestId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var list = new List<FeedbackRecord>();
        while (await reader.ReadAsync(ct))
            list.Add(new FeedbackRecord(reader.GetString(0), reader.GetDouble(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        return list;
    }

    public async Task<double> MonthSpendAsync(string clientKey, DateTimeOffset month, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT usd FROM dial_spend WHERE client_key = @client_key AND month_ms = @month_ms");
        Add(select, "client_key", clientKey);
        Add(select, "month_ms", MonthOf(month).ToUnixTimeMilliseconds());
        return await select.ExecuteScalarAsync(ct) is { } usd and not DBNull ? Convert.ToDouble(usd) : 0;
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT COUNT(*) FROM dial_schema");
        await select.ExecuteScalarAsync(ct);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static DbParameter Add(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = "@" + name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
        return p;
    }
}
