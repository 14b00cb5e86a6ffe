using Loom.Models.Wan.Vae;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Pipeline;

/// <summary>
/// The image-to-video condition <c>y</c> as the official <c>image2video.py</c> builds it: a mask of 4 channels per
/// latent frame (the first video frame known, repeated 4 times so the first latent frame's 4 slots are all 1, the other
/// frames 0, regrouped by 4) followed by the VAE latent of the video <c>[image, 0, 0, ...]</c>. A continuation gives
/// several first frames the same way (<see cref="Continue"/>): the mask is 1 on each of them.
/// </summary>
public static class WanImageCondition
{
    /// <summary>Mask channels in front of the image latent.</summary>
    public const int MaskChannels = 4;

    /// <summary>The mask <c>[4, T, h, w]</c> for a video of <paramref name="frames"/> (4k + 1) frames whose first <paramref name="given"/> are given.</summary>
    public static Tensor Mask(int frames, long height, long width, int given = 1)
    {
        using var scope = NewDisposeScope();
        Tensor msk = ones([1, frames, height, width]);
        msk.narrow(1, given, frames - given).zero_();
        msk = cat([msk.narrow(1, 0, 1).repeat_interleave(MaskChannels, 1), msk.narrow(1, 1, frames - 1)], 1);
        return msk.view(1, (frames + MaskChannels - 1) / MaskChannels, MaskChannels, height, width).transpose(1, 2)[0].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>y = [mask; VAE(given frames, zeros)]</c> <c>[1, 4 + z_dim, T, H/8, W/8]</c>, float32, for <paramref name="rgb"/> bytes
    /// <c>[given, height, width, 3]</c> (one image, or the first frames of a continuation) scaled to [-1, 1]
    /// (<c>x / 127.5 - 1</c>, the official <c>to_tensor().sub(0.5).div(0.5)</c>).
    /// </summary>
    public static Tensor Build(WanVae vae, byte[] rgb, int height, int width, int frames, int given = 1)
    {
        if (given < 1 || given > frames || rgb.Length != (long)given * height * width * 3)
        {
            throw new ArgumentException($"image has {rgb.Length} bytes; {given} {width}x{height} RGB frame(s) of a {frames}-frame video have {(long)given * height * width * 3}.", "image");
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor image = tensor(rgb, [given, height, width, 3]).permute(3, 0, 1, 2).to(ScalarType.Float32).div(127.5).sub(1.0);
        Tensor video = cat([image, zeros([3, frames - given, height, width])], 1).unsqueeze(0);
        Tensor latent = vae.Encode(video);
        Tensor mask = Mask(frames, latent.shape[3], latent.shape[4], given).unsqueeze(0);
        return cat([mask, latent], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Chained long videos: the condition of the next window, continuing the window before it as a user continues a
    /// clip with image-to-video. The previous window's latent <paramref name="previous"/> <c>[1, 16, L, h, w]</c> is decoded
    /// as its own video to 8-bit frames (what a viewer of that clip sees), its last <c>4 (overlap - 1) + 1</c> frames (the
    /// <paramref name="overlap"/> latent frames the windows share) become the first frames of the next window's
    /// <paramref name="frames"/>-frame video, and <see cref="Build"/> encodes them with the mask 1 on them: the next
    /// window's first <paramref name="overlap"/> latent frames are known, the rest drawn from them.
    /// </summary>
    /// <exception cref="ArgumentException">The overlap is not in 1 .. the previous window's latent frames, or gives more frames than the next window has.</exception>
    public static Tensor Continue(WanVae vae, Tensor previous, int overlap, int frames)
    {
        int latents = (int)previous.shape[2];
        int given = ContinuedFrames(overlap);
        if (overlap < 1 || overlap > latents || given > frames)
        {
            throw new ArgumentException($"window_overlap: a continuation shares 1..{latents} latent frames with the window before; {overlap} gives {given} of the next window's {frames} frames.", "window_overlap");
        }
        byte[] rgb;
        long height, width;
        using (no_grad())
        using (NewDisposeScope())
        {
            Tensor decoded = WanVae.ToUInt8(vae.Decode(previous.to(ScalarType.Float32).contiguous())); // [1, F, H, W, 3]
            (height, width) = (decoded.shape[2], decoded.shape[3]);
            rgb = decoded[0].narrow(0, decoded.shape[1] - given, given).contiguous().bytes.ToArray();
        }
        return Build(vae, rgb, (int)height, (int)width, frames, given);
    }

    /// <summary>The pixel frames <paramref name="overlap"/> shared latent frames stand for at a video's start: the first alone, then 4 each.</summary>
    public static int ContinuedFrames(int overlap) => 4 * (overlap - 1) + 1;
}
