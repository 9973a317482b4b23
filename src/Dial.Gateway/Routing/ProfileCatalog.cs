using Dial.Gateway.Configuration;

namespace Dial.Gateway.Routing;

/// <summary>A routed model name's default trade-off and candidates, resolved once at start-up.</summary>
public sealed record RoutingProfile(string Name, Preference Preference, IReadOnlyList<ModelCard> Candidates);

/// <summary>The profiles behind <c>dial/NAME</c>; <c>dial/auto</c> is the default profile.</summary>
public sealed class ProfileCatalog
{
    public const string Prefix = "dial/";
    public const string Auto = "auto";

    private readonly Dictionary<string, RoutingProfile> _profiles = new(StringComparer.Ordinal);

    public ProfileCatalog(GatewayOptions options, ModelCatalog models)
    {
        foreach (var (name, profile) in options.EffectiveProfiles())
        {
            if (name == Auto) throw new InvalidOperationException($"configuration Dial:Profiles: '{Auto}' is reserved for the default profile (set Dial:DefaultProfile)");
            var candidates = profile.Models.Count == 0
                ? models.Cards
                : profile.Models.Select(m => models.TryGet(m, out var r) ? r.Card
                    : throw new InvalidOperationException($"configuration Dial:Profiles:{name}: model '{m}' is served by no upstream")).ToArray();
            _profiles[name] = new RoutingProfile(name, profile.ToPreference(name), candidates);
        }
        Default = _profiles.TryGetValue(options.DefaultProfile, out var d) ? d
            : throw new InvalidOperationException($"configuration Dial:DefaultProfile: no profile named '{options.DefaultProfile}'");
    }

    public RoutingProfile Default { get; }

    /// <summary>Routed names clients may use: dial/auto and dial/PROFILE for every profile.</summary>
    public IEnumerable<string> RoutedNames => new[] { Prefix + Auto }.Concat(_profiles.Keys.Order(StringComparer.Ordinal).Select(n => Prefix + n));

    /// <summary>The profile a routed model name asks for; false for a concrete model name.</summary>
    public bool TryResolve(string model, out RoutingProfile? profile)
    {
        profile = null;
        if (!model.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var name = model[Prefix.Length..];
        profile = name == Auto ? Default : _profiles.GetValueOrDefault(name);
        return true;
    }
}
