using System.Text.Json;
using Loom.Contracts.Jobs;
using Loom.Grains.Storage;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>A job's result: a safetensors file with the video (uint8 <c>[F, H, W, 3]</c>), the latent and the spec.</summary>
public static class JobResultFile
{
    /// <summary>
    /// Writes the result of <paramref name="spec"/> to <paramref name="path"/> under <paramref name="outputDirectory"/>
    /// (atomically, never through a symbolic link; the temporary file is removed if anything fails); returns the latent's
    /// SHA-256 and the file's bytes. <paramref name="rgb"/> is the decoded video (<c>[F, H, W, 3]</c>) of a latent-space
    /// model; null for a pixel-space latent, whose frames are the latent itself.
    /// </summary>
    public static (string LatentSha256, byte[] File) Write(string outputDirectory, string path, Tensor latent, JobSpec spec, byte[]? rgb = null)
    {
        string hash = JobSampling.Hash(latent);
        OutputNames.CheckNoLinks(outputDirectory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        OutputNames.CheckNoLinks(outputDirectory, path); // a link swapped in while the folders were made
        using var scope = NewDisposeScope();
        Tensor video = tensor(rgb ?? JobSampling.ToRgb(latent)).reshape(spec.Frames, spec.Height, spec.Width, 3);
        string temporary = AtomicFile.TemporaryFor(path);
        try
        {
            SafeTensors.Save(temporary, new Dictionary<string, Tensor> { ["video"] = video, ["latent"] = latent[0].contiguous() }, new Dictionary<string, string>
            {
                ["loom.spec"] = JsonSerializer.Serialize(spec with { Conditioning = null, Image = null }),
                ["loom.latent_sha256"] = hash,
            });
            byte[] bytes = File.ReadAllBytes(temporary);
            File.Move(temporary, path, overwrite: true);
            return (hash, bytes);
        }
        finally
        {
            AtomicFile.Remove(temporary);
        }
    }
}
