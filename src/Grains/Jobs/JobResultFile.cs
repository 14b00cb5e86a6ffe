using System.Text.Json;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>A job's result: a safetensors file with the video (uint8 <c>[F, H, W, 3]</c>), the latent and the spec.</summary>
public static class JobResultFile
{
    /// <summary>Writes the result of <paramref name="spec"/> to <paramref name="path"/> (atomically); returns the latent's SHA-256 and the file's bytes.</summary>
    public static (string LatentSha256, byte[] File) Write(string path, Tensor latent, JobSpec spec)
    {
        string hash = JobSampling.Hash(latent);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var scope = NewDisposeScope();
        Tensor video = tensor(JobSampling.ToRgb(latent)).reshape(spec.Frames, spec.Height, spec.Width, 3);
        string temporary = path + ".tmp";
        SafeTensors.Save(temporary, new Dictionary<string, Tensor> { ["video"] = video, ["latent"] = latent[0].contiguous() }, new Dictionary<string, string>
        {
            ["loom.spec"] = JsonSerializer.Serialize(spec with { Conditioning = null }),
            ["loom.latent_sha256"] = hash,
        });
        byte[] bytes = File.ReadAllBytes(temporary);
        File.Move(temporary, path, overwrite: true);
        return (hash, bytes);
    }
}
