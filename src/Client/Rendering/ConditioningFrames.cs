using Google.Protobuf;
using ImageMagick;
using Loom.Client.Api;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Embedded.Scenes;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>Frames given clean at the start of a video (video-to-world): from image files, or from a held-out simulated scene.</summary>
internal static class ConditioningFrames
{
    /// <summary>The model a spec names (default <c>physics</c>), as the server describes it.</summary>
    public static async Task<ModelInfo> ModelAsync(LoomClient client, string? name, CancellationToken cancellationToken)
    {
        string wanted = string.IsNullOrEmpty(name) ? "physics" : name;
        ClusterStatus status = await client.GetClusterStatusAsync(cancellationToken);
        return status.Models.FirstOrDefault(m => m.Name == wanted)
            ?? throw new CliException(ExitCodes.Usage, $"model: '{wanted}' is not served here; served: {string.Join(", ", status.Models.Select(m => m.Name))}.", "model");
    }

    /// <summary>The images at <paramref name="paths"/>, in order; each must be exactly the model's frame size.</summary>
    public static Conditioning FromImages(IReadOnlyList<string> paths, ModelInfo model, string field = "given")
    {
        using var rgb = new MemoryStream();
        foreach (string path in paths)
        {
            (byte[] pixels, int height, int width) frame;
            try
            {
                frame = ImageFrames.ReadRgb(path);
            }
            catch (Exception e) when (e is MagickException or IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"{field}: cannot read image '{path}': {e.Message}", field);
            }
            if (frame.height != model.Height || frame.width != model.Width)
            {
                throw new CliException(ExitCodes.Usage, $"{field}: '{path}' is {frame.width}x{frame.height}; model '{model.Name}' renders {model.Width}x{model.Height}.", field);
            }
            rgb.Write(frame.pixels);
        }
        return new Conditioning { Count = paths.Count, Rgb = ByteString.CopyFrom(rgb.ToArray()) };
    }

    /// <summary>
    /// The first <see cref="HeldOutScenes.GivenFrames"/> frames of held-out test scene <paramref name="scene"/> (never
    /// seen in training), simulated on this machine, so the render continues real physics.
    /// </summary>
    public static Conditioning FromScene(int scene, ModelInfo model, int frames, string field = "scene")
    {
        if (scene < 0)
        {
            throw new CliException(ExitCodes.Usage, $"{field}: must be >= 0; got {scene}.", field);
        }
        byte[] rgb = HeldOutScenes.GivenRgb(scene, model.Height, model.Width, frames);
        return new Conditioning { Count = HeldOutScenes.GivenFrames, Rgb = ByteString.CopyFrom(rgb) };
    }
}
