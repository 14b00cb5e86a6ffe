using System.Text.Json;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

/// <summary>A checkpoint folder written under the temp directory for one test, deleted on dispose.</summary>
internal sealed class TemporaryCheckpoint : IDisposable
{
    public TemporaryCheckpoint()
    {
        Root = Directory.CreateTempSubdirectory("loom-wan-").FullName;
    }

    public string Root { get; }

    /// <summary>
    /// Writes <paramref name="config"/> as config.json and <paramref name="weights"/> converted to <paramref name="dtype"/>
    /// into <c>Root/sub</c>: one diffusion_pytorch_model.safetensors, or <paramref name="shards"/> files and an index.
    /// </summary>
    public string Write(string sub, string config, IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype, int shards = 1)
    {
        string dir = Path.Combine(Root, sub);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        using var scope = NewDisposeScope();
        var converted = weights.ToDictionary(kv => kv.Key, kv => kv.Value.to(dtype));
        if (shards == 1)
        {
            SafeTensors.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), converted);
            return dir;
        }
        var map = new Dictionary<string, string>();
        string[] names = converted.Keys.Order(StringComparer.Ordinal).ToArray();
        for (int s = 0; s < shards; s++)
        {
            string file = $"diffusion_pytorch_model-{s + 1:00000}-of-{shards:00000}.safetensors";
            string[] mine = names.Where((_, i) => i % shards == s).ToArray();
            SafeTensors.Save(Path.Combine(dir, file), mine.ToDictionary(n => n, n => converted[n]));
            foreach (string n in mine)
            {
                map[n] = file;
            }
        }
        File.WriteAllText(Path.Combine(dir, "diffusion_pytorch_model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return dir;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
