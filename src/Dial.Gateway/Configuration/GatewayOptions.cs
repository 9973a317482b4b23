namespace Dial.Gateway.Configuration;

/// <summary>
/// Everything <c>dial serve</c> reads from configuration (section <c>Dial</c>): appsettings.json, environment
/// variables (<c>Dial__Router=ridge</c>) and the command line (<c>--Dial:Router=ridge</c>) all bind here.
/// The defaults run end to end on the bundled RouterBench table through the replay upstream.
/// </summary>
public sealed class GatewayOptions
{
    public const string Section = "Dial";

    /// <summary>The routing table routers are trained on and the replay upstream answers from; default: the bundled RouterBench table.</summary>
    public string? Table { get; set; }

    /// <summary>
    /// Which router to train at start-up, by its catalog name. The default, the learned policy "dial", decides in
    /// tens of microseconds; "knn" scans every training prompt per request.
    /// </summary>
    public string Router { get; set; } = "dial";

    /// <summary>A policy saved by <c>dial train</c>, loaded at start-up instead of training <see cref="Router"/>.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Seeds router training, so a restart serves the same decisions.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Named trade-offs, used as <c>dial/NAME</c>; <c>dial/auto</c> uses <see cref="DefaultProfile"/>.</summary>
    public Dictionary<string, ProfileOptions> Profiles { get; set; } = new(StringComparer.Ordinal);

    public string DefaultProfile { get; set; } = "balanced";

    /// <summary>Where requests go. Empty: one replay upstream serving every model of <see cref="Table"/>.</summary>
    public List<UpstreamOptions> Upstreams { get; set; } = [];

    public ResilienceOptions Resilience { get; set; } = new();

    public StoreOptions Store { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    /// <summary>Online learning from feedback; off unless <c>Dial:Learning:Learner</c> is set.</summary>
    public Learning.LearningOptions Learning { get; set; } = new();

    /// <summary>Larger request bodies get 413; a chat request is rarely above a few hundred KB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The profiles in force: the built-in three, overridden or extended by configuration.</summary>
    public IReadOnlyDictionary<string, ProfileOptions> EffectiveProfiles()
    {
        var profiles = new Dictionary<string, ProfileOptions>(StringComparer.Ordinal)
        {
            ["balanced"] = new() { Quality = 0.7, Cost = 0.3 },
            ["cheap"] = new() { Quality = 0.3, Cost = 0.7 },
            ["best"] = new() { Quality = 1, Cost = 0 },
        };
        foreach (var (name, profile) in Profiles) profiles[name] = profile;
        return profiles;
    }
}

/// <summary>A named default trade-off and, optionally, the models it may choose from.</summary>
public sealed class ProfileOptions
{
    public double Quality { get; set; } = 1;
    public double Cost { get; set; }
    public double Latency { get; set; }

    /// <summary>Candidate models; empty means every configured model.</summary>
    public List<string> Models { get; set; } = [];

    public Preference ToPreference(string name)
    {
        try
        {
            return new Preference(Quality, Cost, Latency);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"configuration Dial:Profiles:{name}: {e.Message}", e);
        }
    }
}

public enum UpstreamKind
{
    /// <summary>Any server speaking OpenAI's chat completions API.</summary>
    OpenAI,

    /// <summary>Answers from the routing table's recorded responses; needs no key and no network.</summary>
    Replay,
}

public sealed class UpstreamOptions
{
    public string Name { get; set; } = "";
    public UpstreamKind Kind { get; set; } = UpstreamKind.OpenAI;

    /// <summary>Base URL up to and including the version, e.g. <c>https://api.openai.com/v1</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The environment variable holding the upstream's key; the key itself never appears in configuration.</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>Models served here. A replay upstream with none serves every model of the table.</summary>
    public List<UpstreamModelOptions> Models { get; set; } = [];
}

public sealed class UpstreamModelOptions
{
    /// <summary>The name clients and the router use (usually the routing table's model name).</summary>
    public string Name { get; set; } = "";

    /// <summary>The name the upstream knows the model by; default: <see cref="Name"/>.</summary>
    public string? UpstreamModel { get; set; }

    public double InputUsdPerMTok { get; set; }
    public double OutputUsdPerMTok { get; set; }
    public double? MedianLatencyMs { get; set; }
}

/// <summary>Per-upstream timeouts, retries and circuit breaking (Polly), and how far to fall back.</summary>
public sealed class ResilienceOptions
{
    public double AttemptTimeoutSeconds { get; set; } = 60;
    public int MaxRetries { get; set; } = 2;
    public double RetryBaseDelayMs { get; set; } = 200;

    /// <summary>Failure ratio over <see cref="BreakerSamplingSeconds"/> that opens an upstream's breaker.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;
    public int BreakerMinimumThroughput { get; set; } = 10;
    public double BreakerSamplingSeconds { get; set; } = 30;
    public double BreakerDurationSeconds { get; set; } = 15;

    /// <summary>How many ranked candidates a routed request may try in all, the chosen one included.</summary>
    public int MaxCandidates { get; set; } = 3;
}

public enum StoreProvider
{
    Sqlite,
    Postgres,
}

public sealed class StoreOptions
{
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>SQLite: a file path or connection string (default <c>dial-gateway.db</c>); Postgres: an Npgsql connection string.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>Client keys. With none configured the gateway is open (for local use); with any, every /v1 call needs one.</summary>
public sealed class AuthOptions
{
    public List<ClientKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// How stale a key's view of its monthly spend may get before a request re-reads the stored total: the window
    /// in which spend made through other replicas sharing the store goes unseen (see SpendingTracker).
    /// </summary>
    public double SpendRefreshSeconds { get; set; } = 1;
}

public sealed class ClientKeyOptions
{
    /// <summary>The key's name in logs, metrics and the request log; never the key.</summary>
    public string Name { get; set; } = "";

    /// <summary>Hex SHA-256 of the key (<c>printf %s KEY | sha256sum</c>); the key itself is never stored.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Spending allowed per UTC calendar month; null is unlimited.</summary>
    public double? MonthlySpendingCapUsd { get; set; }
}
