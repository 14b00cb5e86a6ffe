using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// T5's bidirectional relative-position bias (one table per UMT5 layer): bucket(key - query) looked up in an
/// <c>[num_buckets, heads]</c> embedding, returned as <c>[1, heads, Lq, Lk]</c>.
/// </summary>
public sealed class UmT5RelativeBias : nn.Module<long, long, Tensor>
{
    private readonly Embedding _embedding;
    private readonly int _numBuckets;
    private readonly int _maxDistance;

    /// <summary>A table of <paramref name="numBuckets"/> rows, one column per head.</summary>
    public UmT5RelativeBias(int numBuckets, int heads, int maxDistance, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(UmT5RelativeBias))
    {
        _numBuckets = numBuckets;
        _maxDistance = maxDistance;
        _embedding = nn.Embedding(numBuckets, heads, device: device, dtype: dtype);
        register_module("embedding", _embedding);
    }

    /// <summary>
    /// The bucket of every (query i, key j), int64 <c>[Lq, Lk]</c>: half the buckets for keys after the query; distances
    /// below a quarter of the buckets exact; beyond, logarithmic up to <paramref name="maxDistance"/> (log in float32, as
    /// the reference), saturating at the last bucket of the half.
    /// </summary>
    public static Tensor Buckets(long lq, long lk, int numBuckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        Tensor relative = arange(lk, ScalarType.Int64).unsqueeze(0) - arange(lq, ScalarType.Int64).unsqueeze(1);
        int half = numBuckets / 2;
        Tensor buckets = relative.gt(0).to(ScalarType.Int64) * half;
        Tensor distance = relative.abs();
        int maxExact = half / 2;
        Tensor large = maxExact + (log(distance.to(ScalarType.Float32) / maxExact) / Math.Log((double)maxDistance / maxExact) * (half - maxExact)).to(ScalarType.Int64);
        large = minimum(large, full_like(large, half - 1));
        return (buckets + where(distance.lt(maxExact), distance, large)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(long lq, long lk)
    {
        using var scope = NewDisposeScope();
        Tensor buckets = Buckets(lq, lk, _numBuckets, _maxDistance).to(_embedding.weight!.device);
        return _embedding.forward(buckets).permute(2, 0, 1).unsqueeze(0).contiguous().MoveToOuterDisposeScope();
    }
}
