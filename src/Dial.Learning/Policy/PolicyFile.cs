using Dial.Features;
using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// Saves a <see cref="DialPolicy"/> as one binary file: header, router name, prompt encoder, reward scale,
/// network sizes, the model cards, then every parameter by name and shape (network and per-model vectors).
/// Loading checks each part, so a wrong, damaged or truncated file is reported with its path rather than
/// producing a policy that decides differently.
/// </summary>
public static class PolicyFile
{
    private const string Magic = "DIAL-POLICY-1";
    private const string EndMarker = "END";

    public static void Save(DialPolicy policy, string path)
    {
        if (policy.Encoder is not HashedTfidfEncoder encoder)
            throw new ArgumentException($"a policy file can hold only the hashed TF-IDF encoder, not {policy.Encoder.GetType().Name}");
        using var w = new BinaryWriter(File.Create(path));
        w.Write(Magic);
        w.Write(policy.Name);
        encoder.Write(w);
        w.Write(policy.Scale.CostUsd);
        w.Write(policy.Scale.LatencyMs);
        w.Write(policy.Network.Features);
        w.Write(policy.Network.Hidden);
        w.Write(policy.Describer.VectorDimension);
        w.Write(policy.Describer.Trainable);
        w.Write(policy.Models.Count);
        foreach (var card in policy.Models) WriteCard(w, card);
        ParameterFile.Write(w, [.. policy.Network.Parameters, policy.Describer.Vectors]);
        w.Write(EndMarker);
    }

    public static DialPolicy Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
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
            if (magic != Magic) throw new InvalidDataException($"{path}: not a Dial policy file (expected header '{Magic}')");
            var name = r.ReadString();
            var encoder = HashedTfidfEncoder.Read(r, path);
            var scale = new RewardScale(r.ReadDouble(), r.ReadDouble());
            var features = ReadSize(r, path, "feature count", 1 << 24);
            var hidden = ReadSize(r, path, "hidden size", 1 << 16);
            var vectorDimension = ReadSize(r, path, "descriptor vector length", 1 << 16);
            var trainable = r.ReadBoolean();
            var count = ReadSize(r, path, "model count", 1 << 16);
            var cards = new ModelCard[count];
            for (var i = 0; i < count; i++) cards[i] = ReadCard(r, path);
            var network = new PolicyNetwork(features, CandidateDescriber.PriceFeatures + vectorDimension, hidden, 1f, new Random(0));
            var vectors = new Parameter(trainable ? "describer.embedding" : "describer.identity", count, vectorDimension);
            ParameterFile.Read(r, [.. network.Parameters, vectors], path);
            if (r.ReadString() != EndMarker) throw new InvalidDataException($"{path}: policy file does not end where expected");
            var describer = CandidateDescriber.Restore(cards.Select(c => c.Name).ToArray(), vectors, trainable);
            return new DialPolicy(name, encoder, scale, network, describer, cards);
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
