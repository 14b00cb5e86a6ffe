using Loom.Models.Wan.Vae;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// The image-to-video condition <c>y</c> as the official <c>image2video.py</c> builds it: a mask of 4 channels per
/// latent frame (the first video frame known, repeated 4 times so the first latent frame's 4 slots are all 1, the other
/// frames 0, regrouped by 4) followed by the VAE latent of the video <c>[image, 0, 0, ...]</c>.
/// </summary>
public static class WanImageCondition
{
    /// <summary>Mask channels in front of the image latent.</summary>
    public const int MaskChannels = 4;

    /// <summary>The mask <c>[4, T, h, w]</c> for a video of <paramref name="frames"/> (4k + 1) frames whose first is given.</summary>
    public static Tensor Mask(int frames, long height, long width)
    {
        using var scope = NewDisposeScope();
        Tensor msk = ones([1, frames, height, width]);
        msk.narrow(1, 1, frames - 1).zero_();
        msk = cat([msk.narrow(1, 0, 1).repeat_interleave(MaskChannels, 1), msk.narrow(1, 1, frames - 1)], 1);
        return msk.view(1, (frames + MaskChannels - 1) / MaskChannels, MaskChannels, height, width).transpose(1, 2)[0].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>y = [mask; VAE(image, zeros)]</c> <c>[1, 4 + z_dim, T, H/8, W/8]</c>, float32, for <paramref name="rgb"/> bytes
    /// <c>[height, width, 3]</c> scaled to [-1, 1] (<c>x / 127.5 - 1</c>, the official <c>to_tensor().sub(0.5).div(0.5)</c>).
    /// </summary>
    public static Tensor Build(WanVae vae, byte[] rgb, int height, int width, int frames)
    {
        if (rgb.Length != height * width * 3)
        {
            throw new ArgumentException($"image has {rgb.Length} bytes; a {width}x{height} RGB image has {height * width * 3}.", "image");
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor image = tensor(rgb, [height, width, 3]).permute(2, 0, 1).to(ScalarType.Float32).div(127.5).sub(1.0);
        Tensor video = cat([image.unsqueeze(1), zeros([3, frames - 1, height, width])], 1).unsqueeze(0);
        Tensor latent = vae.Encode(video);
        Tensor mask = Mask(frames, latent.shape[3], latent.shape[4]).unsqueeze(0);
        return cat([mask, latent], 1).MoveToOuterDisposeScope();
    }
}
