namespace Loom.Models.Serving;

/// <summary>The names conditioning tensors travel under, from the job to a shard's model.</summary>
public static class ConditioningNames
{
    /// <summary>Clean frames of the window, float32 <c>[1, C, F, H, W]</c> (pixel-space models' given frames).</summary>
    public const string Frames = "frames";

    /// <summary>Which of the window's F frames are given, bool <c>[F]</c>.</summary>
    public const string Given = "given";

    /// <summary>The prompt's text embedding, its valid tokens <c>[L, text_dim]</c> (Wan: UMT5-XXL's output).</summary>
    public const string Prompt = "prompt";

    /// <summary>The negative prompt's text embedding <c>[L', text_dim]</c>; needed when guidance is above 1.</summary>
    public const string NegativePrompt = "negative_prompt";

    /// <summary>Image-to-video: the window's condition <c>y</c> (mask and image latent) <c>[1, 20, F, h, w]</c>.</summary>
    public const string Image = "image";
}
