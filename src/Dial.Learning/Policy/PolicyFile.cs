using Dial.Features;
using Dial.Learning.Identity;
using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// Saves a <see cref="DialEnsemble"/> (what <see cref="DialPolicyTrainer.Train"/> returns and <c>dial eval</c>
/// measures) as one binary file: header, router name, the shared prompt encoder, reward scale, network sizes,
/// the item model when the policy has one, the model cards, the member count, then each member's parameters by
/// name and shape (network and per-model vectors). Files of the formats before the cost head's prompt term
/// (<c>DIAL-POLICY-3</c>, which load with rank 0 and decide as before), before the item model (<c>DIAL-POLICY-2</c>),
/// and the single-policy <c>DIAL-POLICY-1</c> (which loads as an ensemble of one) still load. Loading checks
/// each part, so a wrong, damaged or truncated file is reported with its path rather than producing a router
/// that decides differently.
/// </summary>
public static class PolicyFile
{
    private const string Magic = "DIAL-POLICY-4";
    private const string NoCostTermMagic = "DIAL-POLICY-3";
    private const string NoItemModelMagic = "DIAL-POLICY-2";
    private const string SinglePolicyMagic = "DIAL-POLICY-1";
    private const string EndMarker = "END";

    public static void Save(DialEnsemble ensemble, string path)
    {
        using var w = new BinaryWriter(File.Create(path));
        Write(ensemble, w);
    }

    public static DialEnsemble Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return Read(r, path);
    }

    /// <summary>Writes the ensemble at the writer's position; the record ends with a marker, so it may be embedded in a larger file.</summary>
    public static void Write(DialEnsemble ensemble, BinaryWriter w)
    {
        if (ensemble.Encoder is not HashedTfidfEncoder encoder)
            throw new ArgumentException($"a policy file can hold only the hashed TF-IDF encoder, not {ensemble.Encoder.GetType().Name}");
        var first = ensemble.Members[0];
        w.Write(Magic);
        w.Write(ensemble.Name);
        encoder.Write(w);
        w.Write(ensemble.Scale.CostUsd);
        w.Write(ensemble.Scale.LatencyMs);
        w.Write(first.Network.Features);
        w.Write(first.Network.Hidden);
        w.Write(first.Network.CostRank);
        w.Write(first.Describer.VectorDimension);
        w.Write(first.Describer.Trainable);
        w.Write(ensemble.Items is not null);
        ensemble.Items?.Write(w);
        w.Write(ensemble.Models.Count);
        foreach (var card in ensemble.Models) WriteCard(w, card);
        w.Write(ensemble.Members.Count);
        foreach (var member in ensemble.Members) ParameterFile.Write(w, [.. member.Network.Parameters, member.Describer.Vectors]);
        w.Write(EndMarker);
    }

    /// <summary>Reads an ensemble written by <see cref="Write"/>; <paramref name="path"/> names the source in errors.</summary>
    public static DialEnsemble Read(BinaryReader r, string path)
    {
        try
        {
            string magic;
            try
            {
                magic = r.ReadString();
            }
            catch (Exception e) when (e is EndOfStreamException or FormatException)
            {
                magic = "";
            }
            if (magic is not (Magic or NoCostTermMagic or NoItemModelMagic or SinglePolicyMagic))
                throw new InvalidDataException($"{path}: not a Dial policy file (expected header '{Magic}', '{NoCostTermMagic}', '{NoItemModelMagic}' or '{SinglePolicyMagic}')");
            var name = r.ReadString();
            var encoder = HashedTfidfEncoder.Read(r, path);
            var scale = new RewardScale(r.ReadDouble(), r.ReadDouble());
            var features = ReadSize(r, path, "feature count", 1 << 24);
            var hidden = ReadSize(r, path, "hidden size", 1 << 16);
            var costRank = magic == Magic ? ReadRank(r, path) : 0;
            var vectorDimension = ReadSize(r, path, "descriptor vector length", 1 << 16);
            var trainable = r.ReadBoolean();
            var items = magic is (Magic or NoCostTermMagic) && r.ReadBoolean() ? PromptItemModel.Read(r, path) : null;
            var count = ReadSize(r, path, "model count", 1 << 16);
            var cards = new ModelCard[count];
            for (var i = 0; i < count; i++) cards[i] = ReadCard(r, path);
            var names = cards.Select(c => c.Name).ToArray();
            var size = magic == SinglePolicyMagic ? 1 : ReadSize(r, path, "ensemble size", 1 << 10);
            var members = new DialPolicy[size];
            for (var m = 0; m < size; m++)
            {
                var network = new PolicyNetwork(features, CandidateDescriber.PriceFeatures + vectorDimension, hidden, 1f, new Random(0), itemPrior: items is not null, costRank: costRank);
                var vectors = new Parameter(trainable ? "describer.embedding" : "describer.identity", count, vectorDimension);
                ParameterFile.Read(r, [.. network.Parameters, vectors], path);
                members[m] = new DialPolicy(name, encoder, scale, network, CandidateDescriber.Restore(names, vectors, trainable), cards, items);
            }
            if (r.ReadString() != EndMarker) throw new InvalidDataException($"{path}: policy file does not end where expected");
            return new DialEnsemble(name, members);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: policy file is truncated");
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path}: invalid policy file: {e.Message}");
        }
    }

    private static int ReadSize(BinaryReader r, string path, string what, int max)
    {
        var n = r.ReadInt32();
        if (n <= 0 || n > max) throw new InvalidDataException($"{path}: invalid {what} {n}");
        return n;
    }

    private static int ReadRank(BinaryReader r, string path)
    {
        var rank = r.ReadInt32();
        if (rank is < 0 or > 1 << 10) throw new InvalidDataException($"{path}: invalid cost-term rank {rank}");
        return rank;
    }

    private static void WriteCard(BinaryWriter w, ModelCard card)
    {
        w.Write(card.Name);
        w.Write(card.Provider);
        w.Write(card.InputUsdPerMTok);
        w.Write(card.OutputUsdPerMTok);
        WriteOptional(w, card.ParamsB);
        w.Write(card.OpenWeights.HasValue);
        w.Write(card.OpenWeights ?? false);
        WriteOptional(w, card.MedianLatencyMs);
    }

    private static ModelCard ReadCard(BinaryReader r, string path)
    {
        var name = r.ReadString();
        var provider = r.ReadString();
        var input = r.ReadDouble();
        var output = r.ReadDouble();
        var parameters = ReadOptional(r);
        var hasOpenWeights = r.ReadBoolean();
        var openWeights = r.ReadBoolean();
        var latency = ReadOptional(r);
        var card = new ModelCard(name, provider, input, output, parameters, hasOpenWeights ? openWeights : null, latency);
        card.Validate(path);
        return card;
    }

    private static void WriteOptional(BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        w.Write(value ?? 0);
    }

    private static double? ReadOptional(BinaryReader r)
    {
        var has = r.ReadBoolean();
        var value = r.ReadDouble();
        return has ? value : null;
    }
}
