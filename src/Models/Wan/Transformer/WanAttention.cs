using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>The attention Wan's layers share: full softmax attention, scale <c>1/sqrt(head_dim)</c>, no mask.</summary>
public static class WanAttention
{
    /// <summary>q <c>[B, Lq, heads, d]</c>, k and v <c>[B, Lk, heads, d]</c> (one dtype) to <c>[B, Lq, heads * d]</c>.</summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], l = q.shape[1];
        Tensor output = nn.functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
        return output.transpose(1, 2).reshape(b, l, -1).MoveToOuterDisposeScope();
    }
}
