using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// The shape of a UMT5 encoder (official <c>T5Encoder</c> arguments). UMT5-XXL: vocab 256,384, dim 4096, dim_attn 4096,
/// dim_ffn 10,240, 64 heads, 24 layers, 32 buckets; nothing here is assumed — <see cref="FromWeights"/> reads it all
/// from the tensor shapes.
/// </summary>
/// <param name="VocabSize">Token-embedding rows.</param>
/// <param name="Dim">Model width.</param>
/// <param name="DimAttn">Width of q, k, v (heads × head dim).</param>
/// <param name="DimFfn">Hidden width of the gated feed-forward.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="NumLayers">Blocks.</param>
/// <param name="NumBuckets">Relative-position buckets (both directions together).</param>
/// <param name="MaxDistance">Distance at which the logarithmic buckets saturate (128 in every T5).</param>
/// <param name="Eps">RMS-norm epsilon.</param>
public sealed record UmT5Config(
    int VocabSize, int Dim, int DimAttn, int DimFfn, int NumHeads, int NumLayers, int NumBuckets, int MaxDistance = 128, double Eps = 1e-6)
{
    /// <summary>The real UMT5-XXL encoder of Wan2.1.</summary>
    public static UmT5Config Xxl { get; } = new(256384, 4096, 4096, 10240, 64, 24, 32);

    /// <summary>
    /// Reads the shape from official-named weights: vocab and dim from <c>token_embedding.weight</c>, dim_attn from
    /// <c>blocks.0.attn.q.weight</c>, dim_ffn from <c>blocks.0.ffn.fc1.weight</c>, buckets × heads from the first
    /// relative-position table, layers from the highest block index.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has an impossible shape; the message names it.</exception>
    public static UmT5Config FromWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        long[] embedding = Shape(weights, "token_embedding.weight", 2);
        long[] q = Shape(weights, "blocks.0.attn.q.weight", 2);
        long[] fc1 = Shape(weights, "blocks.0.ffn.fc1.weight", 2);
        long[] bias = Shape(weights, "blocks.0.pos_embedding.embedding.weight", 2);
        int layers = weights.Keys
            .Select(k => k.StartsWith("blocks.", StringComparison.Ordinal) && int.TryParse(k.Split('.')[1], out int n) ? n + 1 : 0)
            .Max();
        if (q[0] % bias[1] != 0)
        {
            throw new InvalidDataException($"dim_attn {q[0]} (blocks.0.attn.q.weight) is not a multiple of the {bias[1]} heads of blocks.0.pos_embedding.embedding.weight.");
        }
        return new UmT5Config((int)embedding[0], (int)embedding[1], (int)q[0], (int)fc1[0], (int)bias[1], layers, (int)bias[0]);
    }

    private static long[] Shape(IReadOnlyDictionary<string, Tensor> weights, string name, int rank)
    {
        if (!weights.TryGetValue(name, out Tensor? tensor))
        {
            throw new InvalidDataException($"UMT5 weights: no tensor '{name}'.");
        }
        return tensor.shape.Length == rank ? tensor.shape
            : throw new InvalidDataException($"UMT5 weights: '{name}' has shape [{string.Join(",", tensor.shape)}], expected rank {rank}.");
    }
}
