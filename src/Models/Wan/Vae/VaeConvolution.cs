using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The VAE's 2D and 3D convolutions. On the CPU a bfloat16 convolution is computed in float32 from the bfloat16 values
/// and rounded back to bfloat16 (what a correct bfloat16 kernel does: products summed in float32), because LibTorch's
/// CPU bfloat16 convolution kernels are wrong for some shapes. Measured on an AVX-512-BF16 CPU against float32 on the
/// same bfloat16-rounded values: a 3x3 conv2d 16 to 8 channels on 4x4 is off by 0.56 (outputs up to 2.5), 4 to 4 on
/// 16x16 by 3.0 (outputs up to 3.3), a 3x3x3 conv3d 16 to 8 by 0.97, while 1x1 kernels and 16 to 16, 8 to 16 or 32 to
/// 16 channels agree within 0.007; it made the bfloat16 VAE's output garbage (off by 2.2 to 2.4, varying between runs).
/// Other dtypes and devices call the kernels directly, so float32 is unchanged bit for bit.
/// </summary>
internal static class VaeConvolution
{
    /// <summary><c>conv3d</c> with <paramref name="stride"/> and <paramref name="padding"/> per dimension (T, H, W).</summary>
    public static Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding)
    {
        if (!NeedsWidening(x))
        {
            return nn.functional.conv3d(x, weight, bias, strides: stride, padding: padding);
        }
        using var scope = NewDisposeScope();
        return nn.functional.conv3d(x.to(ScalarType.Float32), weight.to(ScalarType.Float32), bias?.to(ScalarType.Float32), strides: stride, padding: padding)
            .to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary><c>conv2d</c> with <paramref name="stride"/> and <paramref name="padding"/> in both dimensions.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, long stride, long padding)
    {
        if (!NeedsWidening(x))
        {
            return nn.functional.conv2d(x, weight, bias, strides: [stride, stride], padding: [padding, padding]);
        }
        using var scope = NewDisposeScope();
        return nn.functional.conv2d(x.to(ScalarType.Float32), weight.to(ScalarType.Float32), bias?.to(ScalarType.Float32), strides: [stride, stride], padding: [padding, padding])
            .to(x.dtype).MoveToOuterDisposeScope();
    }

    private static bool NeedsWidening(Tensor x) => x.dtype == ScalarType.BFloat16 && x.device_type == DeviceType.CPU;
}
