using Loom.Models.Wan.Text;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan.Text;

public sealed class UmT5TextEncoderTests
{
    [Fact]
    public void EachDistinctPromptIsEncodedOnceAndCutToItsLength()
    {
        using var scope = NewDisposeScope();
        using var cache = new TextEmbeddingCache(1L << 20);
        using UmT5TextEncoder text = NewTextEncoder(cache);
        const string negative = "blurry, low quality";

        var first = text.Encode(["a cat walks on the grass", negative, negative]);
        var second = text.Encode(["  a dog  runs ", negative]);

        Assert.Equal(3, text.PromptsEncoded);
        Assert.False(first[1].FromCache);
        Assert.True(second[1].FromCache);
        Assert.Equal(first[1].Key.ContentHash, second[1].Key.ContentHash);
        Assert.True(first[1].Embedding.equal(second[1].Embedding).all().item<bool>());
        Assert.Equal(text.Tokenizer.Tokenize(negative).Length, first[1].Embedding.shape[0]);
        Assert.Equal("a dog runs", second[0].Key.Text);
        TextEmbeddingCacheStats stats = cache.Stats;
        Assert.Equal((1L, 3L, 3), (stats.Hits, stats.Misses, stats.Entries));
    }

    [Fact]
    public void KeptRowsEqualTheBatchedForwardAndDoNotDependOnBatchMates()
    {
        using var scope = NewDisposeScope();
        using var cache = new TextEmbeddingCache(1L << 20);
        using UmT5TextEncoder text = NewTextEncoder(cache);
        TokenizedPrompt prompt = text.Tokenizer.Tokenize("a cat walks on the grass");

        Tensor alone = text.Encode(["a cat walks on the grass"])[0].Embedding;
        Tensor ids = tensor(prompt.Ids.Select(i => (long)i).ToArray(), [1, prompt.Ids.Length]);
        Tensor mask = tensor(Enumerable.Range(0, prompt.Ids.Length).Select(p => p < prompt.Length ? 1L : 0L).ToArray(), [1, prompt.Ids.Length]);
        Tensor direct = text.Encoder.forward(ids, mask)[0].narrow(0, 0, prompt.Length);
        using UmT5TextEncoder other = NewTextEncoder(new TextEmbeddingCache(1L << 20));
        Tensor batched = other.Encode(["an entirely different and much longer prompt about a dog", "a cat walks on the grass"])[1].Embedding;

        Assert.Equal(text.Identity, other.Identity);
        Assert.True(alone.equal(direct).all().item<bool>());
        Assert.True((alone - batched).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void CacheEvictsTheLeastRecentlyUsedPastItsByteBudget()
    {
        using var cache = new TextEmbeddingCache(3 * 10 * 4);
        using Tensor block = ones(10);

        cache.Put("a", block);
        cache.Put("b", block);
        cache.Put("c", block);
        Assert.True(cache.TryGet("a", out Tensor? a));
        a.Dispose();
        cache.Put("d", block);
        cache.Put("huge", ones(100));

        Assert.False(cache.TryGet("b", out _));
        Assert.False(cache.TryGet("huge", out _));
        Assert.Equal((1L, 1L, 3, 120L), (cache.Stats.Hits, cache.Stats.Evictions, cache.Stats.Entries, cache.Stats.Bytes));
        Assert.Equal(1.0 / 3, cache.Stats.HitRate, 6);
    }

    [Fact]
    public void KeyHashDependsOnEncoderIdentityAndText()
    {
        var key = new TextEmbeddingKey("abc", "a cat");

        Assert.Equal(64, key.ContentHash.Length);
        Assert.Equal(key.ContentHash, new TextEmbeddingKey("abc", "a cat").ContentHash);
        Assert.NotEqual(key.ContentHash, new TextEmbeddingKey("abd", "a cat").ContentHash);
        Assert.NotEqual(key.ContentHash, new TextEmbeddingKey("abc", "a cat ").ContentHash);
    }

    private static UmT5TextEncoder NewTextEncoder(ITextEmbeddingCache cache)
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(WanFixtureFiles.Path("tokenizer_unigram_nfkc.model"), textLength: 24);
        var encoder = new UmT5Encoder(new UmT5Config(tokenizer.SentencePiece.VocabularySize, 32, 32, 64, 4, 2, 8));
        encoder.eval();
        using var generator = new Generator(7); // not the global RNG: other test classes draw from it concurrently
        using (no_grad())
        {
            foreach (var (_, parameter) in encoder.named_parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) / Math.Sqrt(parameter.shape[^1]));
            }
        }
        return new UmT5TextEncoder(tokenizer, encoder, cache);
    }
}
