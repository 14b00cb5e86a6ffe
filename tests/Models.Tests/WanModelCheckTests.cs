using System.Text.Json;
using Loom.Models.Wan.Folders;

namespace Loom.Models.Tests;

/// <summary>The deeper checks of <c>loom models verify</c>: headers, indexes and pickles, without loading weights.</summary>
public sealed class WanModelCheckTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("loom-wan-check-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("official", "t2v-a14b")]
    [InlineData("diffusers", "i2v")]
    public void A_complete_model_passes(string layout, string kind)
    {
        string dir = Path.Combine(_root, kind);
        if (layout == "official")
        {
            TinyWanFolder.Official(dir, kind, shards: 2);
        }
        else
        {
            TinyWanFolder.Diffusers(dir, kind);
        }

        Assert.Empty(WanModelCheck.Run(WanModelFolder.Inspect(dir)));
    }

    [Fact]
    public void The_official_vae_pickle_of_the_fixtures_passes_the_pickle_check()
    {
        string dir = Path.Combine(_root, "Wan2.1-T2V-1.3B");
        TinyWanFolder.Official(dir, "t2v");
        File.Copy(Path.Combine(FixtureDirectory(), "vae_tiny.pth"), Path.Combine(dir, "Wan2.1_VAE.pth"), overwrite: true);

        Assert.Empty(WanModelCheck.Run(WanModelFolder.Inspect(dir)));
    }

    [Fact]
    public void A_truncated_shard_a_wrong_index_and_a_broken_pickle_are_each_reported()
    {
        string dir = Path.Combine(_root, "Wan2.1-T2V-14B");
        TinyWanFolder.Official(dir, "t2v", shards: 2);
        string shard = Path.Combine(dir, "diffusion_pytorch_model-00001-of-00002.safetensors");
        using (FileStream stream = File.OpenWrite(shard))
        {
            stream.SetLength(stream.Length - 10);
        }
        string index = Path.Combine(dir, "diffusion_pytorch_model.safetensors.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("blocks.2.bias", "blocks.9.bias", StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(dir, "models_t5_umt5-xxl-enc-bf16.pth"), TinyWanFolder.Bytes(4096, 5));

        IReadOnlyList<string> problems = WanModelCheck.Run(WanModelFolder.Inspect(dir));

        Assert.Equal(3, problems.Count);
        Assert.StartsWith("diffusion_pytorch_model-00001-of-00002.safetensors: tensor 'blocks.1.", problems[0]);
        Assert.Contains("needs 256 bytes within the file", problems[0]);
        Assert.Equal("models_t5_umt5-xxl-enc-bf16.pth is not a PyTorch zip checkpoint (truncated, or not torch.save output).", problems[1]);
        Assert.Equal("diffusion_pytorch_model.safetensors.index.json names 1 tensor(s) their shard does not hold, the first 'blocks.9.bias' (in diffusion_pytorch_model-00002-of-00002.safetensors).", problems[2]);
    }

    [Fact]
    public void A_header_that_runs_past_the_file_is_reported_without_reading_the_data()
    {
        string dir = Path.Combine(_root, "m");
        TinyWanFolder.Official(dir, "t2v");
        string weights = Path.Combine(dir, "diffusion_pytorch_model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..20]);

        Assert.Equal(["diffusion_pytorch_model.safetensors: header length " + BitConverter.ToUInt64(bytes, 0) + " runs past the end of the file (20 bytes)."], WanModelCheck.Run(WanModelFolder.Inspect(dir)));
    }

    private static string FixtureDirectory()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "tests", "fixtures", "wan");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/fixtures/wan not found above " + AppContext.BaseDirectory);
    }
}
