namespace Loom.Client.Outputs;

/// <summary>What <c>--out</c> produces.</summary>
internal enum OutputFormat
{
    /// <summary>H.264 video through ffmpeg.</summary>
    Mp4,

    /// <summary>Looping animated GIF.</summary>
    Gif,

    /// <summary>A folder of PNG frames.</summary>
    Png,

    /// <summary>The result file itself: latent and video tensors.</summary>
    Safetensors,
}
