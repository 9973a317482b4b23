using Dial.Features;
using Dial.Learning.Neural;

namespace Dial.Learning.Identity;

/// <summary>
/// The fitted prompt side of the identity model: the encoder and the item network, frozen together. It is
/// what onboarding needs to turn quiz answers into an identity, so it is saved as one file, with the
/// population prior a new model is onboarded under.
/// </summary>
/// <param name="population">Default: the standard normal over the network's identity space.</param>
public sealed class PromptItemModel(IPromptEncoder encoder, ItemNetwork network, PopulationPrior? population = null)
{
    private const string Magic = "DIAL-IRT-ITEMS-3";
    private const string PreviousMagic = "DIAL-IRT-ITEMS-2";

    public IPromptEncoder Encoder { get; } = encoder.Dimension == network.Inputs
        ? encoder
        : throw new ArgumentException($"encoder gives {encoder.Dimension} features, the item network expects {network.Inputs}");

    public ItemNetwork Network { get; } = network;

    public PopulationPrior Population { get; } = population is null ? PopulationPrior.Standard(network.Dimension)
        : population.Mean.Length == network.Dimension ? population
        : throw new ArgumentException($"population prior is over {population.Mean.Length} dimensions, the item network's identities have {network.Dimension}");

    public int Dimension => Network.Dimension;

    public Item ItemOf(Prompt prompt) => ItemOfFeatures(prompt.Features(Encoder));

    /// <summary>The prompt's item in the population prior's coordinates φ, where onboarding chooses and fits.</summary>
    public Item LatentItemOf(Prompt prompt) => Population.ToLatent(ItemOf(prompt));

    public Item ItemOfFeatures(ReadOnlySpan<float> features) => Network.Forward(features, new float[Network.Hidden]);

    public void Save(string path)
    {
        using var w = new BinaryWriter(File.Create(path));
        Write(w);
    }

    public static PromptItemModel Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return Read(r, path);
    }

    /// <summary>Writes the model at the writer's position, so it may be embedded in a larger file (a policy's).</summary>
    public void Write(BinaryWriter w)
    {
        if (Encoder is not HashedTfidfEncoder tfidf)
            throw new ArgumentException($"only item models over the hashed TF-IDF encoder can be saved, this one uses {Encoder.GetType().Name}");
        w.Write(Magic);
        tfidf.Write(w);
        w.Write(Network.Hidden);
        w.Write(Network.Dimension);
        ParameterFile.Write(w, Network.Parameters);
        Population.Write(w);
    }

    /// <summary>Reads a model written by <see cref="Write"/>; <paramref name="path"/> names the source in errors.</summary>
    public static PromptItemModel Read(BinaryReader r, string path)
    {
        try
        {
            var header = r.ReadString();
            if (header == PreviousMagic)
                throw new InvalidDataException($"{path}: identity item model written before the population prior was widened for new models (header '{header}'); refit it, and retrain policies that embed it");
            if (header != Magic) throw new InvalidDataException($"{path}: not a Dial identity item model (expected header '{Magic}')");
            var encoder = HashedTfidfEncoder.Read(r, path);
            var hidden = r.ReadInt32();
            var dimension = r.ReadInt32();
            if (hidden is < 1 or > 1 << 16 || dimension is < 1 or > 1 << 12)
                throw new InvalidDataException($"{path}: invalid item network shape (hidden {hidden}, dimension {dimension})");
            var network = new ItemNetwork(encoder.Dimension, hidden, dimension, new Random(0));
            ParameterFile.Read(r, network.Parameters, path);
            return new PromptItemModel(encoder, network, PopulationPrior.Read(r, dimension, path));
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: item model file is truncated");
        }
    }
}
