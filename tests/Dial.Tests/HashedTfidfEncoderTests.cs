using System.Numerics.Tensors;
using Dial.Data;
using Dial.Features;

namespace Dial.Tests;

public sealed class HashedTfidfEncoderTests
{
    private static readonly string[] Corpus =
    [
        "Which of the following statements best explains why magnets stick to a refrigerator door?",
        "Write a python function to find the maximum of three numbers.",
        "The trophy doesn't fit into the brown suitcase because _ is too large.",
        "Write a python function to reverse a string.",
    ];

    [Fact]
    public void VectorsHaveTheConfiguredDimensionAndUnitNorm()
    {
        var e = HashedTfidfEncoder.Fit(Corpus, dimension: 256);
        var v = e.Encode(Corpus[0]);
        Assert.Equal(256, v.Length);
        Assert.Equal(1.0, TensorPrimitives.Norm(v), 4);
        Assert.All(e.Encode(""), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void EncodingIntoABufferOverwritesItWithTheSameVector()
    {
        var e = HashedTfidfEncoder.Fit(Corpus, dimension: 256);
        var buffer = new float[256];
        buffer.AsSpan().Fill(7f);
        e.Encode(Corpus[2], buffer);
        Assert.Equal(e.Encode(Corpus[2]), buffer);
        var error = Assert.Throws<ArgumentException>(() => e.Encode(Corpus[2], new float[255]));
        Assert.Contains("256 features, the buffer holds 255", error.Message);
    }

    [Fact]
    public void SimilarPromptsAreCloserThanDifferentOnes()
    {
        var e = HashedTfidfEncoder.Fit(Corpus, dimension: 2048);
        var python1 = e.Encode(Corpus[1]);
        var python2 = e.Encode(Corpus[3]);
        var winogrande = e.Encode(Corpus[2]);
        Assert.True(TensorPrimitives.Dot(python1, python2) > TensorPrimitives.Dot(python1, winogrande) + 0.2f);
    }

    [Fact]
    public void RareTermsWeighMoreThanCommonOnes()
    {
        // "python" appears in half the corpus, "suitcase" in one prompt: IDF must weigh them in that order.
        var e = HashedTfidfEncoder.Fit(Corpus, dimension: 4096);
        var both = e.Encode("python suitcase");
        var common = WordBucket(e.Encode("python"));
        var rare = WordBucket(e.Encode("suitcase"));
        Assert.NotEqual(common, rare);
        Assert.True(MathF.Abs(both[rare]) > MathF.Abs(both[common]) * 1.2f);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(300)] // past the table of small counts
    public void ARepeatedWordWeighsOnePlusTheLogOfItsCountWithItsSign(int repeats)
    {
        // Both words in the one training prompt: equal IDF, so their weights differ by term frequency only.
        var e = HashedTfidfEncoder.Fit(["alpha beta"], dimension: 1 << 16);
        var alpha = WordBucket(e.Encode("alpha"));
        var beta = WordBucket(e.Encode("beta"));
        var v = e.Encode(string.Join(' ', Enumerable.Repeat("alpha", repeats)) + " beta");
        Assert.Equal(1 + MathF.Log(repeats), MathF.Abs(v[alpha]) / MathF.Abs(v[beta]), 4);
        Assert.Equal(MathF.Sign(e.Encode("alpha")[alpha]), MathF.Sign(v[alpha]));
        Assert.Equal(MathF.Sign(e.Encode("beta")[beta]), MathF.Sign(v[beta]));
    }

    /// <summary>
    /// The bundled tables' test prompts, encoded by an encoder fitted on their train prompts, hash to fixed values:
    /// every float, bit for bit, at a power-of-two dimension and at one whose halves are neither a power of two nor a
    /// multiple of the vector width. The values are the same with AVX2 and with it or AVX switched off
    /// (<c>DOTNET_EnableAVX2=0</c>, <c>DOTNET_EnableAVX=0</c>), so they hold on any x64 machine; until session 8 the
    /// norm's lane-wise sum made them depend on the CPU's vector width.
    /// </summary>
    [Theory]
    [InlineData("routerbench.jsonl.gz", 4096, 0x868F7A9510AB43DBUL)]
    [InlineData("routerbench.jsonl.gz", 1000, 0x4145E9094D3B8259UL)]
    [InlineData("alpacaeval.jsonl.gz", 4096, 0x41B728D847DC89DCUL)]
    [InlineData("alpacaeval.jsonl.gz", 1000, 0x019FABB2723A278EUL)]
    public void RealPromptsEncodeBitForBitAsBefore(string table, int dimension, ulong expected)
    {
        var data = table == "routerbench.jsonl.gz" ? BundledData.RouterBench : BundledData.AlpacaEval;
        var e = HashedTfidfEncoder.Fit(data.Where(Split.Train).Prompts.Select(p => p.Text), dimension);
        var hash = 14695981039346656037UL;
        foreach (var prompt in data.Where(Split.Test).Prompts)
            foreach (var x in e.Encode(prompt.Text)) hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(x)) * 1099511628211UL;
        Assert.Equal(expected, hash);
    }

    private static int WordBucket(float[] v) => Array.FindIndex(v, 0, v.Length / 2, x => x != 0);

    [Fact]
    public void SavedEncoderGivesIdenticalVectors()
    {
        var e = HashedTfidfEncoder.Fit(Corpus, dimension: 128);
        var path = Path.GetTempFileName();
        try
        {
            e.Save(path);
            var loaded = HashedTfidfEncoder.Load(path);
            Assert.Equal(e.Encode(Corpus[2]), loaded.Encode(Corpus[2]));
            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.Throws<InvalidDataException>(() => HashedTfidfEncoder.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RejectsOddDimensionAndEmptyCorpus()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HashedTfidfEncoder.Fit(Corpus, 7));
        Assert.Throws<ArgumentException>(() => HashedTfidfEncoder.Fit([], 8));
    }
}
