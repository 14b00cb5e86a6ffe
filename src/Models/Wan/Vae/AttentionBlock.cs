using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Single-head self-attention over the pixels of each frame (middle blocks only): RMS norm, 1x1 <c>to_qkv</c> (q, k, v =
/// channel thirds), <c>softmax(q kᵀ / sqrt(C)) v</c>, 1x1 <c>proj</c>, plus the input. Names <c>norm.gamma</c>,
/// <c>to_qkv.*</c>, <c>proj.*</c>.
/// </summary>
internal sealed class AttentionBlock : VaeLayer
{
    private readonly RmsNorm norm;
    private readonly Conv2d to_qkv;
    private readonly Conv2d proj;

    public AttentionBlock(int channels)
        : base("attention_block")
    {
        norm = new RmsNorm(channels, images: true);
        to_qkv = nn.Conv2d(channels, channels * 3, 1);
        proj = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor Run(Tensor x, FeatureCache cache)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        Tensor frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
        Tensor qkv = VaeConvolution.Conv2d(norm.forward(frames), to_qkv.weight!, to_qkv.bias, 1, 0).reshape(b * t, 1, c * 3, h * w).permute(0, 1, 3, 2).contiguous();
        Tensor[] parts = qkv.chunk(3, -1);
        Tensor attended = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2]);
        Tensor y = VaeConvolution.Conv2d(attended.squeeze(1).permute(0, 2, 1).reshape(b * t, c, h, w), proj.weight!, proj.bias, 1, 0);
        return y.reshape(b, t, c, h, w).permute(0, 2, 1, 3, 4).add(x).MoveToOuterDisposeScope();
    }
}
