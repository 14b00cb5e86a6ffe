using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Official Wan <c>T5Encoder</c> names ↔ transformers <c>UMT5EncoderModel</c> names (Diffusers' <c>text_encoder/</c>),
/// as rules (section 8 of the fixture README): <c>shared.weight</c> = <c>token_embedding.weight</c>;
/// <c>encoder.block.N.layer.0.{layer_norm, SelfAttention.{q,k,v,o}, SelfAttention.relative_attention_bias}</c> =
/// <c>blocks.N.{norm1, attn.{q,k,v,o}, pos_embedding.embedding}</c>; <c>encoder.block.N.layer.1.{layer_norm,
/// DenseReluDense.{wi_0, wi_1, wo}}</c> = <c>blocks.N.{norm2, ffn.{gate.0, fc1, fc2}}</c>;
/// <c>encoder.final_layer_norm</c> = <c>norm</c>.
/// </summary>
public static partial class UmT5WeightNames
{
    private static readonly (string Transformers, string Official)[] BlockRules =
    [
        ("layer.0.layer_norm.", "norm1."),
        ("layer.0.SelfAttention.relative_attention_bias.", "pos_embedding.embedding."),
        ("layer.0.SelfAttention.", "attn."),
        ("layer.1.layer_norm.", "norm2."),
        ("layer.1.DenseReluDense.wi_0.", "ffn.gate.0."),
        ("layer.1.DenseReluDense.wi_1.", "ffn.fc1."),
        ("layer.1.DenseReluDense.wo.", "ffn.fc2."),
    ];

    /// <summary>The official name of a transformers name; an official name is returned unchanged.</summary>
    /// <exception cref="InvalidDataException">A transformers encoder name no rule covers.</exception>
    public static string OfficialName(string name)
    {
        if (name is "shared.weight" or "encoder.embed_tokens.weight")
        {
            return "token_embedding.weight";
        }
        if (name.StartsWith("encoder.final_layer_norm.", StringComparison.Ordinal))
        {
            return "norm." + name["encoder.final_layer_norm.".Length..];
        }
        Match block = TransformersBlock().Match(name);
        if (!block.Success)
        {
            return name.StartsWith("encoder.", StringComparison.Ordinal)
                ? throw new InvalidDataException($"UMT5 weights: no rule maps the transformers name '{name}'.")
                : name;
        }
        string rest = block.Groups[2].Value;
        foreach (var (transformers, official) in BlockRules)
        {
            if (rest.StartsWith(transformers, StringComparison.Ordinal))
            {
                return $"blocks.{block.Groups[1].Value}.{official}{rest[transformers.Length..]}";
            }
        }
        throw new InvalidDataException($"UMT5 weights: no rule maps the transformers name '{name}'.");
    }

    /// <summary>The transformers name of an official name.</summary>
    /// <exception cref="InvalidDataException">An official name no rule covers.</exception>
    public static string TransformersName(string official)
    {
        if (official == "token_embedding.weight")
        {
            return "shared.weight";
        }
        if (official.StartsWith("norm.", StringComparison.Ordinal))
        {
            return "encoder.final_layer_norm." + official["norm.".Length..];
        }
        Match block = OfficialBlock().Match(official);
        if (block.Success)
        {
            string rest = block.Groups[2].Value;
            foreach (var (transformers, name) in BlockRules)
            {
                if (rest.StartsWith(name, StringComparison.Ordinal))
                {
                    return $"encoder.block.{block.Groups[1].Value}.{transformers}{rest[name.Length..]}";
                }
            }
        }
        throw new InvalidDataException($"UMT5 weights: no rule maps the official name '{official}'.");
    }

    /// <summary>
    /// <paramref name="weights"/> under official names, whichever naming they came in. transformers' tied copy
    /// <c>encoder.embed_tokens.weight</c> is dropped when <c>shared.weight</c> is there; a name mapped twice is an error.
    /// </summary>
    public static Dictionary<string, Tensor> ToOfficial(IReadOnlyDictionary<string, Tensor> weights)
    {
        var official = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in weights)
        {
            if (name == "encoder.embed_tokens.weight" && weights.ContainsKey("shared.weight"))
            {
                continue;
            }
            string mapped = OfficialName(name);
            if (!official.TryAdd(mapped, tensor))
            {
                throw new InvalidDataException($"UMT5 weights: '{name}' and another tensor both map to '{mapped}'.");
            }
        }
        return official;
    }

    [GeneratedRegex(@"^encoder\.block\.(\d+)\.(.+)$")]
    private static partial Regex TransformersBlock();

    [GeneratedRegex(@"^blocks\.(\d+)\.(.+)$")]
    private static partial Regex OfficialBlock();
}
