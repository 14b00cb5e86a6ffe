using System.Text.RegularExpressions;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Official <c>WanVAE_</c> parameter names (those of <c>Wan2.1_VAE.pth</c>) to the names of Diffusers'
/// <c>AutoencoderKLWan</c> (<c>vae/diffusion_pytorch_model.safetensors</c>), as rules: top-level <c>conv1</c> /
/// <c>conv2</c> become <c>quant_conv</c> / <c>post_quant_conv</c>; a tower's <c>conv1</c>, <c>head.0</c>,
/// <c>head.2</c> become <c>conv_in</c>, <c>norm_out</c>, <c>conv_out</c>; <c>middle.0/1/2</c> become
/// <c>mid_block.resnets.0</c>, <c>mid_block.attentions.0</c>, <c>mid_block.resnets.1</c>; encoder
/// <c>downsamples.J</c> is <c>down_blocks.J</c>; decoder <c>upsamples.J</c> is grouped per level,
/// <c>up_blocks.(J / (n + 2))</c> with <c>resnets.(J mod (n + 2))</c> or, last in the group, <c>upsamplers.0</c>
/// (n = residual blocks per encoder level); inside a residual block <c>residual.0/2/3/6</c> are
/// <c>norm1/conv1/norm2/conv2</c> and <c>shortcut</c> is <c>conv_shortcut</c>.
/// </summary>
public static partial class WanVaeNames
{
    /// <summary>The Diffusers name of official parameter <paramref name="official"/> in a VAE of shape <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">Not a parameter name of the official VAE.</exception>
    public static string ToDiffusers(string official, WanVaeConfig config)
    {
        Match top = TopLevel().Match(official);
        if (top.Success)
        {
            return (top.Groups[1].Value == "conv1" ? "quant_conv." : "post_quant_conv.") + top.Groups[2].Value;
        }
        Match m = Tower().Match(official);
        if (!m.Success)
        {
            throw new ArgumentException($"'{official}' is not a parameter name of the official Wan VAE.", nameof(official));
        }
        string tower = m.Groups["tower"].Value, part = m.Groups["part"].Value, rest = m.Groups["rest"].Value;
        switch (part)
        {
            case "conv1":
                return $"{tower}.conv_in.{rest}";
            case "head":
                return rest.StartsWith("0.", StringComparison.Ordinal) ? $"{tower}.norm_out.{rest[2..]}"
                    : rest.StartsWith("2.", StringComparison.Ordinal) ? $"{tower}.conv_out.{rest[2..]}"
                    : throw new ArgumentException($"'{official}': a head has parameters only in head.0 and head.2.", nameof(official));
        }
        (int index, string inner) = Indexed(official, rest);
        return part switch
        {
            "middle" when index == 1 => $"{tower}.mid_block.attentions.0.{inner}",
            "middle" when index is 0 or 2 => $"{tower}.mid_block.resnets.{index / 2}.{Inner(inner)}",
            "downsamples" when tower == "encoder" => $"encoder.down_blocks.{index}.{Inner(inner)}",
            "upsamples" when tower == "decoder" => Upsample(index, inner, config.NumResBlocks + 2),
            _ => throw new ArgumentException($"'{official}' is not a parameter name of the official Wan VAE.", nameof(official)),
        };
    }

    /// <summary>Whether <paramref name="names"/> use Diffusers naming (any <c>quant_conv</c>, <c>down_blocks</c>, <c>up_blocks</c> or <c>mid_block</c> parameter).</summary>
    public static bool AreDiffusers(IEnumerable<string> names) => names.Any(n =>
        n.StartsWith("quant_conv.", StringComparison.Ordinal) || n.StartsWith("post_quant_conv.", StringComparison.Ordinal)
        || n.Contains(".down_blocks.", StringComparison.Ordinal) || n.Contains(".up_blocks.", StringComparison.Ordinal)
        || n.Contains(".mid_block.", StringComparison.Ordinal));

    private static string Upsample(int index, string inner, int group)
    {
        int level = index / group, position = index % group;
        return position < group - 1
            ? $"decoder.up_blocks.{level}.resnets.{position}.{Inner(inner)}"
            : $"decoder.up_blocks.{level}.upsamplers.0.{inner}";
    }

    private static (int Index, string Inner) Indexed(string official, string rest)
    {
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && int.TryParse(rest[..dot], out int index) ? (index, rest[(dot + 1)..])
            : throw new ArgumentException($"'{official}': expected a block index after the list name.", nameof(official));
    }

    /// <summary>A residual block's own names; resampler names (<c>resample.1</c>, <c>time_conv</c>) are the same in both.</summary>
    private static string Inner(string inner) => inner switch
    {
        _ when inner.StartsWith("residual.0.", StringComparison.Ordinal) => "norm1." + inner["residual.0.".Length..],
        _ when inner.StartsWith("residual.2.", StringComparison.Ordinal) => "conv1." + inner["residual.2.".Length..],
        _ when inner.StartsWith("residual.3.", StringComparison.Ordinal) => "norm2." + inner["residual.3.".Length..],
        _ when inner.StartsWith("residual.6.", StringComparison.Ordinal) => "conv2." + inner["residual.6.".Length..],
        _ when inner.StartsWith("shortcut.", StringComparison.Ordinal) => "conv_shortcut." + inner["shortcut.".Length..],
        _ => inner,
    };

    [GeneratedRegex(@"^(conv1|conv2)\.(weight|bias)$")]
    private static partial Regex TopLevel();

    [GeneratedRegex(@"^(?<tower>encoder|decoder)\.(?<part>conv1|head|middle|downsamples|upsamples)\.(?<rest>.+)$")]
    private static partial Regex Tower();
}
