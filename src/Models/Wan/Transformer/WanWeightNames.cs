namespace Loom.Models.Wan.Transformer;

/// <summary>
/// The transformer's official parameter names against the Diffusers (<c>WanTransformer3DModel</c>) ones, as rules: a
/// rule whose official side ends in '.' maps a prefix, any other maps a whole name; names under <c>blocks.N.</c> use
/// the block rules on the rest. Shapes are the same under both names.
/// </summary>
public static class WanWeightNames
{
    private static readonly (string Official, string Diffusers)[] TopLevel =
    [
        ("patch_embedding.", "patch_embedding."),
        ("text_embedding.0.", "condition_embedder.text_embedder.linear_1."),
        ("text_embedding.2.", "condition_embedder.text_embedder.linear_2."),
        ("time_embedding.0.", "condition_embedder.time_embedder.linear_1."),
        ("time_embedding.2.", "condition_embedder.time_embedder.linear_2."),
        ("time_projection.1.", "condition_embedder.time_proj."),
        ("head.modulation", "scale_shift_table"),
        ("head.head.", "proj_out."),
        ("img_emb.proj.0.", "condition_embedder.image_embedder.norm1."),
        ("img_emb.proj.1.", "condition_embedder.image_embedder.ff.net.0.proj."),
        ("img_emb.proj.3.", "condition_embedder.image_embedder.ff.net.2."),
        ("img_emb.proj.4.", "condition_embedder.image_embedder.norm2."),
        ("img_emb.emb_pos", "condition_embedder.image_embedder.pos_embed"),
    ];

    private static readonly (string Official, string Diffusers)[] Block =
    [
        ("modulation", "scale_shift_table"),
        ("self_attn.q.", "attn1.to_q."),
        ("self_attn.k.", "attn1.to_k."),
        ("self_attn.v.", "attn1.to_v."),
        ("self_attn.o.", "attn1.to_out.0."),
        ("self_attn.norm_q.", "attn1.norm_q."),
        ("self_attn.norm_k.", "attn1.norm_k."),
        ("norm3.", "norm2."),
        ("cross_attn.q.", "attn2.to_q."),
        ("cross_attn.k.", "attn2.to_k."),
        ("cross_attn.v.", "attn2.to_v."),
        ("cross_attn.o.", "attn2.to_out.0."),
        ("cross_attn.norm_q.", "attn2.norm_q."),
        ("cross_attn.norm_k.", "attn2.norm_k."),
        ("cross_attn.k_img.", "attn2.add_k_proj."),
        ("cross_attn.v_img.", "attn2.add_v_proj."),
        ("cross_attn.norm_k_img.", "attn2.norm_added_k."),
        ("ffn.0.", "ffn.net.0.proj."),
        ("ffn.2.", "ffn.net.2."),
    ];

    /// <summary>The Diffusers name of official <paramref name="name"/>, or null when no rule covers it.</summary>
    public static string? ToDiffusers(string name) => Map(name, toDiffusers: true);

    /// <summary>The official name of Diffusers <paramref name="name"/>, or null when no rule covers it.</summary>
    public static string? ToOfficial(string name) => Map(name, toDiffusers: false);

    /// <summary>True when <paramref name="names"/> look like a Diffusers checkpoint (its condition embedder or output projection).</summary>
    public static bool AreDiffusers(IEnumerable<string> names)
        => names.Any(n => n.StartsWith("condition_embedder.", StringComparison.Ordinal) || n.StartsWith("proj_out.", StringComparison.Ordinal)
            || n == "scale_shift_table");

    private static string? Map(string name, bool toDiffusers)
    {
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
        {
            int dot = name.IndexOf('.', "blocks.".Length);
            if (dot > 0 && int.TryParse(name.AsSpan("blocks.".Length, dot - "blocks.".Length), out _))
            {
                string? rest = Apply(Block, name[(dot + 1)..], toDiffusers);
                return rest is null ? null : name[..(dot + 1)] + rest;
            }
            return null;
        }
        return Apply(TopLevel, name, toDiffusers);
    }

    private static string? Apply((string Official, string Diffusers)[] rules, string name, bool toDiffusers)
    {
        foreach (var (official, diffusers) in rules)
        {
            string from = toDiffusers ? official : diffusers;
            string to = toDiffusers ? diffusers : official;
            if (from.EndsWith('.') ? name.StartsWith(from, StringComparison.Ordinal) : name == from)
            {
                return to + name[from.Length..];
            }
        }
        return null;
    }
}
