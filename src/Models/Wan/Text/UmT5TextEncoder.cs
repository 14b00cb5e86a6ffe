using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Prompts → the embeddings Wan's transformer takes, encoding each distinct prompt once: clean and tokenise
/// (<see cref="UmT5Tokenizer"/>), look the embedding up by content hash (<see cref="ITextEmbeddingCache"/>), run the
/// misses through <see cref="UmT5Encoder"/> in batches with the padding mask, keep each prompt's valid rows
/// (<c>[:seq_len]</c>, eos included, as the official pipeline does) and store them.
/// </summary>
public sealed class UmT5TextEncoder : IDisposable
{
    private readonly int _batchSize;
    private readonly bool _ownsCache;

    /// <summary>Wires a tokenizer, an encoder and a cache (the cache is not disposed with this).</summary>
    public UmT5TextEncoder(UmT5Tokenizer tokenizer, UmT5Encoder encoder, ITextEmbeddingCache cache, int batchSize = 4)
        : this(tokenizer, encoder, cache, batchSize, ownsCache: false)
    {
    }

    private UmT5TextEncoder(UmT5Tokenizer tokenizer, UmT5Encoder encoder, ITextEmbeddingCache cache, int batchSize, bool ownsCache)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (tokenizer.SentencePiece.VocabularySize > encoder.Config.VocabSize)
        {
            throw new InvalidDataException($"UMT5: the tokenizer has {tokenizer.SentencePiece.VocabularySize} pieces but the encoder only {encoder.Config.VocabSize} embedding rows.");
        }
        Tokenizer = tokenizer;
        Encoder = encoder;
        Cache = cache;
        _batchSize = batchSize;
        _ownsCache = ownsCache;
        Identity = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"umt5|{encoder.WeightsSha256}|{tokenizer.SentencePiece.Model.ContentSha256}|{tokenizer.TextLength}")));
    }

    /// <summary>The tokenizer.</summary>
    public UmT5Tokenizer Tokenizer { get; }

    /// <summary>The encoder.</summary>
    public UmT5Encoder Encoder { get; }

    /// <summary>The embedding cache.</summary>
    public ITextEmbeddingCache Cache { get; }

    /// <summary>Hex SHA-256 of the weights' hash, the tokenizer's and the text length: <see cref="TextEmbeddingKey.EncoderIdentity"/>.</summary>
    public string Identity { get; }

    /// <summary>Prompts that went through the encoder so far.</summary>
    public long PromptsEncoded { get; private set; }

    /// <summary>
    /// Loads the tokenizer (<see cref="UmT5Tokenizer.Load"/>) and the weights (<see cref="UmT5Checkpoint.Read"/>) and places
    /// the encoder per <paramref name="options"/>; without <paramref name="cache"/> an in-process one of
    /// <see cref="WanTextEncoderOptions.CacheBytes"/> is created (and disposed with this).
    /// </summary>
    public static UmT5TextEncoder Load(string tokenizerPath, string weightsPath, WanTextEncoderOptions options, ITextEmbeddingCache? cache = null)
    {
        UmT5Tokenizer tokenizer = UmT5Tokenizer.Load(tokenizerPath, options.TextLength);
        Dictionary<string, Tensor> weights = UmT5Checkpoint.Read(weightsPath);
        UmT5Encoder encoder;
        try
        {
            encoder = UmT5Encoder.Load(weights, options.DType, new Device(options.Device));
        }
        finally
        {
            foreach (Tensor t in weights.Values)
            {
                t.Dispose();
            }
        }
        return new UmT5TextEncoder(tokenizer, encoder, cache ?? new TextEmbeddingCache(options.CacheBytes), options.BatchSize, ownsCache: cache is null);
    }

    /// <summary>The rows of the valid tokens of each batch element: <c>y[b, :sum(mask[b] &gt; 0)]</c>.</summary>
    public static IReadOnlyList<Tensor> KeepValidRows(Tensor y, Tensor mask)
    {
        long[] lengths = mask.gt(0).sum(1).to(ScalarType.Int64).cpu().data<long>().ToArray();
        return lengths.Select((length, b) => y[b].narrow(0, 0, length)).ToArray();
    }

    /// <summary>The embedding of every prompt, in order; repeated prompts (in the call or before) are encoded once.</summary>
    public IReadOnlyList<EncodedPrompt> Encode(IReadOnlyList<string> prompts)
    {
        var tokenized = prompts.Select(p => Tokenizer.Tokenize(p)).ToArray();
        var keys = tokenized.Select(t => new TextEmbeddingKey(Identity, t.Text)).ToArray();
        var hashes = keys.Select(k => k.ContentHash).ToArray();
        var found = new Dictionary<string, (Tensor Embedding, bool FromCache)>(StringComparer.Ordinal);
        var pending = new List<int>();
        for (int i = 0; i < prompts.Count; i++)
        {
            if (found.ContainsKey(hashes[i]) || pending.Any(j => hashes[j] == hashes[i]))
            {
                continue;
            }
            if (Cache.TryGet(hashes[i], out Tensor? cached))
            {
                found[hashes[i]] = (cached, true);
            }
            else
            {
                pending.Add(i);
            }
        }
        foreach (int[] batch in pending.Chunk(_batchSize))
        {
            using var scope = NewDisposeScope();
            Tensor ids = tensor(batch.SelectMany(i => tokenized[i].Ids.Select(id => (long)id)).ToArray(), [batch.Length, Tokenizer.TextLength]);
            Tensor mask = tensor(batch.SelectMany(i => Enumerable.Range(0, Tokenizer.TextLength).Select(p => p < tokenized[i].Length ? 1L : 0L)).ToArray(), [batch.Length, Tokenizer.TextLength]);
            IReadOnlyList<Tensor> rows = KeepValidRows(Encoder.forward(ids, mask), mask);
            for (int b = 0; b < batch.Length; b++)
            {
                Tensor embedding = rows[b].cpu().clone().MoveToOuterDisposeScope();
                Cache.Put(hashes[batch[b]], embedding);
                found[hashes[batch[b]]] = (embedding, false);
            }
            PromptsEncoded += batch.Length;
        }
        var result = new EncodedPrompt[prompts.Count];
        var handedOut = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < prompts.Count; i++)
        {
            var (embedding, fromCache) = found[hashes[i]];
            result[i] = new EncodedPrompt(keys[i], handedOut.Add(hashes[i]) ? embedding : embedding.clone(), tokenized[i].Warning, fromCache);
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Encoder.Dispose();
        if (_ownsCache && Cache is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
