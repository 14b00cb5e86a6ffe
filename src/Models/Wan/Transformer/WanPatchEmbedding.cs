using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The official Conv3d patch embedding (kernel = stride = patch size), weight <c>[dim, in_dim, pt, ph, pw]</c>, run as
/// one matrix product over the non-overlapping patches (the same sum, and it works in every dtype on every device).
/// Tokens come out in row-major (f, h, w) order.
/// </summary>
public sealed class WanPatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly int[] _patch;

    /// <summary>For <paramref name="config"/>, parameters empty in <paramref name="dtype"/>.</summary>
    public WanPatchEmbedding(WanTransformerConfig config, ScalarType dtype)
        : base(nameof(WanPatchEmbedding))
    {
        _patch = config.PatchSize;
        weight = new Parameter(empty([config.Dim, config.InDim, _patch[0], _patch[1], _patch[2]], dtype), requires_grad: false);
        bias = new Parameter(empty([config.Dim], dtype), requires_grad: false);
        RegisterComponents();
    }

    /// <summary><c>[B, in_dim, F, H, W]</c> (multiples of the patch) to <c>[B, f*h*w, dim]</c> in the compute dtype.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1];
        long f = x.shape[2] / _patch[0], h = x.shape[3] / _patch[1], w = x.shape[4] / _patch[2];
        Tensor patches = x.to(weight.dtype).reshape(b, c, f, _patch[0], h, _patch[1], w, _patch[2])
            .permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(b, f * h * w, -1);
        return nn.functional.linear(patches, weight.reshape(weight.shape[0], -1), bias).MoveToOuterDisposeScope();
    }
}
