using System.Text.Json;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// The shape of a Wan2.1 VAE (official class <c>WanVAE_</c>): base width <paramref name="Dim"/>, latent channels
/// <paramref name="ZDim"/>, width multipliers per resolution level, residual blocks per level, and which of the
/// encoder's downsamplings also halve time (the decoder mirrors them). Attention exists only in the middle blocks.
/// </summary>
/// <param name="Dim">Base channel width (96 in the released VAE).</param>
/// <param name="ZDim">Latent channels (16).</param>
/// <param name="DimMult">Width multiplier per level ([1, 2, 4, 4]).</param>
/// <param name="NumResBlocks">Residual blocks per encoder level; the decoder has one more (2).</param>
/// <param name="TemporalDownsample">Per downsampling (one fewer than levels): whether it also halves time ([false, true, true]).</param>
public sealed record WanVaeConfig(int Dim, int ZDim, IReadOnlyList<int> DimMult, int NumResBlocks, IReadOnlyList<bool> TemporalDownsample)
{
    /// <summary>The released Wan2.1 VAE (<c>Wan2.1_VAE.pth</c>; also the VAE of Wan2.2 A14B).</summary>
    public static WanVaeConfig Official { get; } = new(96, 16, [1, 2, 4, 4], 2, [false, true, true]);

    /// <summary>Frames per latent frame after the first: 2 to the number of temporal downsamplings (4).</summary>
    public int TemporalStride => 1 << TemporalDownsample.Count(t => t);

    /// <summary>Pixels per latent pixel along each side: 2 to the number of downsamplings (8).</summary>
    public int SpatialStride => 1 << (DimMult.Count - 1);

    /// <summary>Video frames decoded from <paramref name="latentFrames"/> latent frames: <c>1 + stride (T - 1)</c>.</summary>
    public int VideoFrames(int latentFrames) => latentFrames == 0 ? 0 : 1 + TemporalStride * (latentFrames - 1);

    /// <summary>Checks the values; the error names the field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public WanVaeConfig Validate()
    {
        Require(Dim > 0, "dim", $"must be positive, got {Dim}");
        Require(ZDim > 0, "z_dim", $"must be positive, got {ZDim}");
        Require(DimMult.Count >= 1 && DimMult.All(m => m > 0), "dim_mult", "must be a non-empty list of positive multipliers");
        Require(NumResBlocks > 0, "num_res_blocks", $"must be positive, got {NumResBlocks}");
        Require(TemporalDownsample.Count == DimMult.Count - 1, "temperal_downsample",
            $"needs one entry per downsampling ({DimMult.Count - 1} for dim_mult of {DimMult.Count}), got {TemporalDownsample.Count}");
        // The decoder halves the width of every upsampling's output and of levels 1..3 (official Decoder3d).
        Require(DimMult.All(m => Dim * m % 2 == 0), "dim", "times each dim_mult must be even (the decoder's upsamplers halve the width)");
        return this;
    }

    /// <summary>
    /// Reads a config from JSON: the official constructor's arguments (<c>dim</c>, <c>z_dim</c>, <c>dim_mult</c>,
    /// <c>num_res_blocks</c>, <c>temperal_downsample</c>, <c>attn_scales</c>) or a Diffusers <c>AutoencoderKLWan</c>
    /// <c>config.json</c> (<c>base_dim</c> instead of <c>dim</c>). Missing fields take the official values.
    /// </summary>
    /// <exception cref="InvalidDataException">A field has the wrong type or value; the message names it and <paramref name="source"/>.</exception>
    public static WanVaeConfig FromJson(JsonElement json, string source)
    {
        try
        {
            WanVaeConfig official = Official;
            int dim = json.TryGetProperty("dim", out JsonElement d) ? d.GetInt32()
                : json.TryGetProperty("base_dim", out JsonElement b) ? b.GetInt32() : official.Dim;
            int zDim = json.TryGetProperty("z_dim", out JsonElement z) ? z.GetInt32() : official.ZDim;
            int[] mult = json.TryGetProperty("dim_mult", out JsonElement m) ? m.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [.. official.DimMult];
            int blocks = json.TryGetProperty("num_res_blocks", out JsonElement n) ? n.GetInt32() : official.NumResBlocks;
            bool[] temporal = json.TryGetProperty("temperal_downsample", out JsonElement t) ? t.EnumerateArray().Select(e => e.GetBoolean()).ToArray() : [.. official.TemporalDownsample];
            if (json.TryGetProperty("attn_scales", out JsonElement a) && a.GetArrayLength() > 0)
            {
                throw new InvalidDataException($"{source}: attn_scales {a.GetRawText()} is not supported (every released Wan VAE has attention only in the middle blocks, attn_scales []).");
            }
            return new WanVaeConfig(dim, zDim, mult, blocks, temporal).Validate();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: bad VAE config ({e.Message}).", e);
        }
    }

    private static void Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{field} {message}.", field);
        }
    }
}
