using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The VAE's RMS norm over channels: <c>x / max(‖x‖₂, 1e-12) · sqrt(C) · gamma</c> (the official <c>F.normalize</c>, no
/// epsilon inside the root). Computed in float32 at least (bfloat16 inputs are widened), returned in the input dtype.
/// Parameter <c>gamma</c> <c>[C, 1, 1, 1]</c> (<c>[C, 1, 1]</c> for images).
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter gamma;
    private readonly double _scale;

    public RmsNorm(int channels, bool images)
        : base("rms_norm")
    {
        gamma = nn.Parameter(images ? torch.ones(channels, 1, 1) : torch.ones(channels, 1, 1, 1));
        _scale = Math.Sqrt(channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        ScalarType wide = x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Tensor xw = x.to(wide);
        Tensor norm = linalg.vector_norm(xw, 2, [1], keepdim: true).clamp_min(1e-12);
        Tensor y = xw / norm * _scale * gamma.to(wide);
        return y.to(x.dtype).MoveToOuterDisposeScope();
    }
}
