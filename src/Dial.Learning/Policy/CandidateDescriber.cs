using Dial.Learning.Identity;
using Dial.Learning.Neural;

namespace Dial.Learning.Policy;

/// <summary>
/// Describes a candidate as [log(1 + input price), log(1 + output price), per-model vector]. Prices come from
/// the card at routing time, so a price change is seen without retraining; the per-model vector is either a
/// fixed identity (the IRT posterior mean, which lets a model onboarded by quizzing be routed without
/// retraining) or an embedding learned jointly with the policy, when no identities are given. While training, an
/// identity describer may also hold quiz-sized variants of each model's identity and draw one per description
/// (<see cref="ForRouting"/> drops them), so the policy is smooth around the fitted points rather than fitted to them.
/// </summary>
public sealed class CandidateDescriber : ICandidateDescriber
{
    public const int PriceFeatures = 2;

    private readonly Dictionary<string, int> _rows;

    /// <summary>Per row, the alternatives a training description draws from (the fitted vector among them); null when routing.</summary>
    private readonly float[][][]? _variants;

    private readonly Random? _sampler;

    private CandidateDescriber(IReadOnlyList<string> models, Parameter vectors, bool trainable, float[][][]? variants = null, Random? sampler = null)
    {
        Models = models;
        Vectors = vectors;
        Trainable = trainable;
        _variants = variants;
        _sampler = sampler;
        _rows = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        if (_rows.Count != models.Count) throw new ArgumentException("candidate describer lists a model twice");
    }

    /// <summary>The models this describer knows, in the row order of <see cref="Vectors"/>.</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>One row per model.</summary>
    public Parameter Vectors { get; }

    /// <summary>Whether the vectors are learned with the policy (embeddings) rather than given (identities).</summary>
    public bool Trainable { get; }

    public int VectorDimension => Vectors.Cols;

    public int Dimension => PriceFeatures + VectorDimension;

    public static CandidateDescriber Learned(IReadOnlyList<string> models, int dimension, Random random)
    {
        if (models.Count == 0) throw new ArgumentException("cannot learn embeddings for no models");
        var vectors = new Parameter("describer.embedding", models.Count, dimension).InitNormal(random, 0.1f);
        return new CandidateDescriber(models, vectors, trainable: true);
    }

    /// <summary>Fixed identity vectors for the given models; each must have one in <paramref name="identities"/>.</summary>
    public static CandidateDescriber FromIdentities(IdentityTable identities, IReadOnlyList<string> models)
    {
        if (models.Count == 0) throw new ArgumentException("cannot describe no models");
        var dimension = identities.Dimension ?? throw new ArgumentException("the identity table is empty");
        var vectors = new Parameter("describer.identity", models.Count, dimension);
        for (var i = 0; i < models.Count; i++) identities[models[i]].Mean.CopyTo(vectors.Row(i));
        return new CandidateDescriber(models, vectors, trainable: false);
    }

    /// <summary>
    /// Fixed identities as <see cref="FromIdentities(IdentityTable, IReadOnlyList{string})"/>, but each description
    /// is drawn by <paramref name="sampler"/> from the model's fitted mean and the means of its
    /// <paramref name="variants"/> (e.g. identities refitted from quizzes), uniformly. For training only.
    /// </summary>
    public static CandidateDescriber FromIdentities(IdentityTable identities, IReadOnlyList<string> models, IReadOnlyDictionary<string, IReadOnlyList<ModelIdentity>> variants, Random sampler)
    {
        var fixedVectors = FromIdentities(identities, models);
        var rows = new float[models.Count][][];
        for (var i = 0; i < models.Count; i++)
        {
            var own = variants.TryGetValue(models[i], out var list) ? list : [];
            if (own.FirstOrDefault(v => v.Dimension != fixedVectors.VectorDimension) is { } wrong)
                throw new ArgumentException($"a variant identity of '{models[i]}' has {wrong.Dimension} dimensions, the identities have {fixedVectors.VectorDimension}");
            rows[i] = [fixedVectors.Vectors.Row(i).ToArray(), .. own.Select(v => v.Mean)];
        }
        return new CandidateDescriber(models, fixedVectors.Vectors, trainable: false, rows, sampler);
    }

    /// <summary>The describer a trained policy routes with: each model by its own vector, never a drawn variant.</summary>
    public CandidateDescriber ForRouting() => _variants is null ? this : new CandidateDescriber(Models, Vectors, Trainable);

    /// <summary>
    /// This describer plus the identities of models it does not know yet: how a model onboarded by quizzing
    /// becomes routable without retraining. Only an identity-based describer can do this; learned embeddings
    /// exist only for the models trained with.
    /// </summary>
    public CandidateDescriber WithIdentities(IdentityTable identities, IEnumerable<string> models)
    {
        if (Trainable)
            throw new ArgumentException("this policy describes models by learned embeddings; only a policy trained with identities (dial train --identities) can take new models");
        var added = models.Where(m => !_rows.ContainsKey(m)).Distinct(StringComparer.Ordinal).ToArray();
        if (identities.Dimension is { } d && d != VectorDimension)
            throw new ArgumentException($"identities have {d} dimensions, the policy was trained on {VectorDimension}");
        var all = Models.Concat(added).ToArray();
        var vectors = new Parameter(Vectors.Name, all.Length, VectorDimension);
        Vectors.Value.CopyTo(vectors.Value, 0);
        for (var i = 0; i < added.Length; i++) identities[added[i]].Mean.CopyTo(vectors.Row(Models.Count + i));
        return new CandidateDescriber(all, vectors, trainable: false);
    }

    /// <summary>Rebuilds a describer read back from a policy file.</summary>
    internal static CandidateDescriber Restore(IReadOnlyList<string> models, Parameter vectors, bool trainable) => new(models, vectors, trainable);

    public void Describe(ModelCard card, Span<float> descriptor)
    {
        if (descriptor.Length != Dimension) throw new ArgumentException($"descriptor has length {descriptor.Length}, expected {Dimension}");
        descriptor[0] = MathF.Log(1 + (float)card.InputUsdPerMTok);
        descriptor[1] = MathF.Log(1 + (float)card.OutputUsdPerMTok);
        var row = RowOf(card.Name);
        if (_variants is not null) _variants[row][_sampler!.Next(_variants[row].Length)].CopyTo(descriptor[PriceFeatures..]);
        else Vectors.Row(row).CopyTo(descriptor[PriceFeatures..]);
    }

    /// <summary>Adds dL/d(descriptor) to the model's embedding gradient; identities are fixed and ignore it.</summary>
    public void Backward(string model, ReadOnlySpan<float> descriptorGradient)
    {
        if (!Trainable) return;
        var row = Vectors.GradientRow(RowOf(model));
        for (var j = 0; j < row.Length; j++) row[j] += descriptorGradient[PriceFeatures + j];
    }

    private int RowOf(string model) =>
        _rows.TryGetValue(model, out var row)
            ? row
            : throw new KeyNotFoundException($"the policy has no descriptor for model '{model}' (it knows {string.Join(", ", Models)}); retrain with it, or give it an identity vector");
}
