using System.Security.Cryptography;
using System.Text;
using Dial.Gateway.Configuration;

namespace Dial.Gateway.Security;

/// <summary>A client key that authenticated a request: its configured name and cap, never the key.</summary>
public sealed record ClientIdentity(string Name, double? MonthlySpendingCapUsd);

/// <summary>
/// The configured client keys, kept as SHA-256 hashes only. A presented key is hashed and looked up; the
/// hash is not secret-dependent in a way a timing attack can exploit, since the attacker does not choose it.
/// </summary>
public sealed class ClientKeys
{
    private readonly Dictionary<string, ClientIdentity> _byHash = new(StringComparer.Ordinal);

    public ClientKeys(GatewayOptions options)
    {
        if (!(options.Auth.SpendRefreshSeconds >= 0 && double.IsFinite(options.Auth.SpendRefreshSeconds)))
            throw new InvalidOperationException($"configuration Dial:Auth:SpendRefreshSeconds must be a non-negative number of seconds, got {options.Auth.SpendRefreshSeconds}");
        foreach (var k in options.Auth.Keys)
        {
            if (string.IsNullOrWhiteSpace(k.Name)) throw new InvalidOperationException("configuration Dial:Auth:Keys: every key needs a Name");
            var hash = k.Sha256.Trim().ToLowerInvariant();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit))
                throw new InvalidOperationException($"configuration Dial:Auth:Keys:{k.Name}: Sha256 must be 64 hex digits (printf %s KEY | sha256sum)");
            if (k.MonthlySpendingCapUsd is { } cap && !(cap >= 0 && double.IsFinite(cap)))
                throw new InvalidOperationException($"configuration Dial:Auth:Keys:{k.Name}: MonthlySpendingCapUsd must be a non-negative number");
            if (!_byHash.TryAdd(hash, new ClientIdentity(k.Name, k.MonthlySpendingCapUsd)))
                throw new InvalidOperationException($"configuration Dial:Auth:Keys:{k.Name}: the same key is configured twice");
        }
    }

    public bool Enabled => _byHash.Count > 0;

    public ClientIdentity? Find(string presentedKey) => _byHash.GetValueOrDefault(Hash(presentedKey));

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
