using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dial.Features;

/// <summary>
/// Dial's default prompt encoder: hashed word 1-2-grams and character 3-5-grams, TF-IDF weighted and L2
/// normalised. It needs no model file and no network, encodes in tens of microseconds, and on routing tables
/// recovers the task of a prompt almost perfectly, which is most of what a router needs to know.
/// Words and characters hash into separate halves of the vector, each normalised on its own, so the far more
/// numerous character n-grams do not drown out the words. Hashing is FNV-1a, stable across processes, so a
/// saved encoder gives the same vectors on any machine.
/// </summary>
public sealed class HashedTfidfEncoder : IPromptEncoder
{
    private const string Magic = "DIAL-TFIDF-1";

    /// <summary>
    /// 1 + ln k for the small counts nearly every bucket holds (a bucket's count is a sum of ±1, so a whole number),
    /// computed by the same <see cref="MathF.Log(float)"/>: the table gives the very bits, a logarithm per non-zero
    /// bucket was a large share of encoding a prompt. An empty bucket maps to 0, so it stays 0 without a branch.
    /// </summary>
    private static readonly float[] SublinearCounts = [0, .. Enumerable.Range(1, 255).Select(k => 1 + MathF.Log(k))];

    private readonly float[] _idf;

    private HashedTfidfEncoder(float[] idf)
    {
        _idf = idf;
    }

    public int Dimension => _idf.Length;

    /// <summary>Learns inverse document frequencies from training prompts only.</summary>
    /// <param name="dimension">Total vector length; an even number, half for words and half for characters.</param>
    public static HashedTfidfEncoder Fit(IEnumerable<string> trainingPrompts, int dimension = 1024)
    {
        if (dimension < 2 || dimension % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be an even number of at least 2");
        var df = new int[dimension];
        var seen = new HashSet<int>();
        var documents = 0;
        foreach (var text in trainingPrompts)
        {
            documents++;
            seen.Clear();
            var buckets = new BucketSet(seen);
            ForEachFeature(text, dimension, ref buckets);
            foreach (var b in seen) df[b]++;
        }
        if (documents == 0) throw new ArgumentException("cannot fit an encoder on no prompts", nameof(trainingPrompts));
        var idf = new float[dimension];
        for (var j = 0; j < dimension; j++) idf[j] = (float)(Math.Log((1.0 + documents) / (1.0 + df[j])) + 1.0);
        return new HashedTfidfEncoder(idf);
    }

    public float[] Encode(string text)
    {
        var v = new float[Dimension];
        Encode(text, v);
        return v;
    }

    public void Encode(string text, Span<float> features)
    {
        var d = Dimension;
        if (features.Length != d) throw new ArgumentException($"the encoder writes {d} features, the buffer holds {features.Length}", nameof(features));
        features.Clear();
        var counts = new SignedCounts(features);
        ForEachFeature(text, d, ref counts);
        Weigh(features, _idf);
        NormalizeHalf(features[..(d / 2)]);
        NormalizeHalf(features[(d / 2)..]);
        TensorPrimitives.Multiply(features, MathF.Sqrt(0.5f), features);
    }

    public void Save(string path)
    {
        using var w = new BinaryWriter(File.Create(path));
        Write(w);
    }

    /// <summary>Writes the encoder into a larger file (e.g. a fitted model that embeds its features).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Magic);
        w.Write(_idf.Length);
        foreach (var x in _idf) w.Write(x);
    }

    public static HashedTfidfEncoder Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return Read(r, path);
    }

    /// <param name="source">Names the file in error messages.</param>
    public static HashedTfidfEncoder Read(BinaryReader r, string source)
    {
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"{source}: not a Dial TF-IDF encoder (expected header '{Magic}')");
            var n = r.ReadInt32();
            if (n < 2 || n % 2 != 0 || n > 1 << 24) throw new InvalidDataException($"{source}: invalid encoder dimension {n}");
            var idf = new float[n];
            for (var j = 0; j < n; j++) idf[j] = r.ReadSingle();
            return new HashedTfidfEncoder(idf);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{source}: encoder is truncated");
        }
    }

    /// <summary>
    /// Sublinear term frequency with the count's sign, times the inverse document frequency: a word repeated in a long
    /// few-shot prompt should not dominate it. No branch on empty buckets (a third of them are not empty, in no
    /// pattern a branch predictor can learn); eight buckets at a time, gathered from the table, where the CPU can.
    /// </summary>
    private static unsafe void Weigh(Span<float> features, float[] idf)
    {
        var j = 0;
        if (Avx2.IsSupported)
        {
            var tableLength = Vector256.Create(SublinearCounts.Length);
            ref var counts = ref MemoryMarshal.GetReference(features);
            ref var weights = ref MemoryMarshal.GetArrayDataReference(idf);
            fixed (float* table = SublinearCounts)
            {
                for (; j + Vector256<float>.Count <= features.Length; j += Vector256<float>.Count)
                {
                    var count = Vector256.LoadUnsafe(ref counts, (nuint)j);
                    // A count is a whole number no larger than 2^24 (a float sum of ±1 stops growing there), so this is exact.
                    var magnitude = Vector256.ConvertToInt32(Vector256.Abs(count));
                    if (Vector256.GreaterThanOrEqualAny(magnitude, tableLength))
                        Weigh(features.Slice(j, Vector256<float>.Count), idf.AsSpan(j, Vector256<float>.Count));
                    else
                        (Vector256.CopySign(Avx2.GatherVector256(table, magnitude, sizeof(float)), count) * Vector256.LoadUnsafe(ref weights, (nuint)j))
                            .StoreUnsafe(ref counts, (nuint)j);
                }
            }
        }
        Weigh(features[j..], idf.AsSpan(j));
    }

    private static void Weigh(Span<float> features, ReadOnlySpan<float> idf)
    {
        for (var j = 0; j < features.Length; j++)
        {
            var count = features[j];
            var magnitude = MathF.Abs(count);
            var frequency = magnitude < SublinearCounts.Length ? SublinearCounts[(int)magnitude] : 1 + MathF.Log(magnitude);
            features[j] = MathF.CopySign(frequency, count) * idf[j];
        }
    }

    /// <summary>
    /// The norm is summed one element at a time in double precision, not with <c>TensorPrimitives.Norm</c>: that one
    /// adds in lanes as wide as the CPU's vectors, so its last bits, and every feature divided by it, depended on the
    /// machine (the bit-for-bit test failed on a VM without AVX-512 against values taken on one with it), and a policy
    /// would not encode prompts exactly alike on two machines.
    /// </summary>
    private static void NormalizeHalf(Span<float> half)
    {
        double squares = 0;
        foreach (var x in half) squares += (double)x * x;
        var norm = (float)Math.Sqrt(squares);
        if (norm > 0) TensorPrimitives.Divide(half, norm, half);
    }

    /// <summary>Receives the bucket and sign of every n-gram; a struct, so the per-n-gram call is inlined rather than a delegate call.</summary>
    private interface IFeatureSink
    {
        void Add(int bucket, float sign);
    }

    private readonly ref struct SignedCounts(Span<float> counts) : IFeatureSink
    {
        private readonly Span<float> _counts = counts;

        public void Add(int bucket, float sign) => _counts[bucket] += sign;
    }

    private readonly struct BucketSet(HashSet<int> buckets) : IFeatureSink
    {
        public void Add(int bucket, float sign) => buckets.Add(bucket);
    }

    /// <summary>Hands <paramref name="sink"/> the bucket and sign of every n-gram of the text.</summary>
    private static void ForEachFeature<TSink>(string text, int dimension, ref TSink sink) where TSink : struct, IFeatureSink, allows ref struct
    {
        var half = new Buckets(dimension / 2);
        // Pooled buffers: encoding runs once per routed request, and long prompts would otherwise allocate twice their size.
        var buffer = ArrayPool<char>.Shared.Rent(2 * text.Length);
        try
        {
            var lower = buffer.AsSpan(0, text.Length);
            text.AsSpan().ToLowerInvariant(lower);

            // Word unigrams and bigrams; a bigram's hash chains its second word onto the first's.
            ulong previous = 0;
            var havePrevious = false;
            var i = 0;
            while (i < lower.Length)
            {
                while (i < lower.Length && !char.IsLetterOrDigit(lower[i])) i++;
                var start = i;
                while (i < lower.Length && char.IsLetterOrDigit(lower[i])) i++;
                if (i == start) break;
                var h = Fnv(lower.Slice(start, i - start), Offset);
                Emit(h, 0, half, ref sink);
                if (havePrevious) Emit(Fnv(lower.Slice(start, i - start), previous * Prime ^ 0x20), 0, half, ref sink);
                previous = h;
                havePrevious = true;
            }

            // Character n-grams over the text with runs of whitespace collapsed to one space.
            var chars = buffer.AsSpan(text.Length, text.Length);
            var length = 0;
            var lastSpace = true;
            foreach (var c in lower)
            {
                var space = char.IsWhiteSpace(c);
                if (space && lastSpace) continue;
                chars[length++] = space ? ' ' : c;
                lastSpace = space;
            }
            // Then its character 3-, 4- and 5-grams, each hash seeded by the n-gram's length. The three starting at one
            // position hash side by side, so their independent multiply chains overlap in the core; the counts they add
            // are the same in any order.
            var span = chars[..length];
            for (var s = 0; s + 3 <= span.Length; s++)
            {
                var (h3, h4, h5) = (Offset ^ 3UL, Offset ^ 4UL, Offset ^ 5UL);
                for (var k = s; k < s + 3; k++)
                {
                    var c = span[k];
                    h3 = (h3 ^ c) * Prime;
                    h4 = (h4 ^ c) * Prime;
                    h5 = (h5 ^ c) * Prime;
                }
                Emit(h3, half.Size, half, ref sink);
                if (s + 4 > span.Length) continue;
                h4 = (h4 ^ span[s + 3]) * Prime;
                h5 = (h5 ^ span[s + 3]) * Prime;
                Emit(h4, half.Size, half, ref sink);
                if (s + 5 > span.Length) continue;
                Emit((h5 ^ span[s + 4]) * Prime, half.Size, half, ref sink);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private static ulong Fnv(ReadOnlySpan<char> s, ulong h)
    {
        foreach (var c in s) h = (h ^ c) * Prime;
        return h;
    }

    private static void Emit<TSink>(ulong hash, int offset, Buckets buckets, ref TSink sink) where TSink : struct, IFeatureSink, allows ref struct =>
        sink.Add(offset + buckets.Of(hash >> 1), BitConverter.Int32BitsToSingle(PlusOneBits | (int)((uint)hash << 31))); // ±1 by the low bit, without a branch it would mispredict half the time

    private const int PlusOneBits = 0x3F800000;

    /// <summary>
    /// A hash's bucket among <see cref="Size"/>: the remainder, by a mask when the size is a power of two (as every
    /// default dimension is), since a 64-bit division per n-gram was a large share of encoding a prompt.
    /// </summary>
    private readonly struct Buckets(int size)
    {
        private readonly ulong _mask = (size & (size - 1)) == 0 ? (ulong)size - 1 : 0;

        public int Size { get; } = size;

        public int Of(ulong hash) => _mask != 0 ? (int)(hash & _mask) : (int)(hash % (ulong)Size);
    }
}
