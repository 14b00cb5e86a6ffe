namespace Loom.Models.Wan.Folders;

/// <summary>What a Wan model does, as <c>loom models list</c> prints it (the names of the official task configs).</summary>
public static class WanKind
{
    /// <summary>Text-to-video, one transformer (Wan2.1 T2V 1.3B and 14B).</summary>
    public const string T2V = "t2v";

    /// <summary>Image-to-video, one transformer with the CLIP image encoder (Wan2.1 I2V 14B 480P/720P).</summary>
    public const string I2V = "i2v";

    /// <summary>Text-to-video with two experts, high noise then low noise (Wan2.2 T2V A14B).</summary>
    public const string T2VA14B = "t2v-a14b";

    /// <summary>Image-to-video with two experts (Wan2.2 I2V A14B).</summary>
    public const string I2VA14B = "i2v-a14b";

    /// <summary>Text- and image-to-video, one transformer on the Wan2.2 VAE (Wan2.2 TI2V 5B).</summary>
    public const string TI2V = "ti2v";

    /// <summary>
    /// The default expert boundary of a two-expert kind (the official configs' <c>boundary</c>): the high-noise expert
    /// runs while t &gt;= boundary * 1000. Null for single-transformer kinds.
    /// </summary>
    public static double? DefaultBoundary(string kind) => kind switch
    {
        T2VA14B => 0.875,
        I2VA14B => 0.9,
        _ => null,
    };
}
