using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Text;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan.Text;

public sealed class UmT5CheckpointTests
{
    [Fact]
    public void ReadsDiffusersShardsAndTheOfficialRepositoryLayout()
    {
        string root = Directory.CreateTempSubdirectory("loom-umt5-weights-").FullName;
        try
        {
            using WanFixture fixture = WanFixture.Load(WanFixtureFiles.Path("t5_encoder_tiny.safetensors"));
            var transformers = fixture.Weights.ToDictionary(kv => UmT5WeightNames.TransformersName(kv.Key), kv => kv.Value);
            transformers["encoder.embed_tokens.weight"] = transformers["shared.weight"];
            string folder = Directory.CreateDirectory(Path.Combine(root, "diffusers", "text_encoder")).FullName;
            var names = transformers.Keys.Order(StringComparer.Ordinal).ToArray();
            SafeTensors.Save(Path.Combine(folder, "model-00001-of-00002.safetensors"), names[..10].ToDictionary(n => n, n => transformers[n]));
            SafeTensors.Save(Path.Combine(folder, "model-00002-of-00002.safetensors"), names[10..].ToDictionary(n => n, n => transformers[n]));
            Directory.CreateDirectory(Path.Combine(root, "official"));
            File.Copy(WanFixtureFiles.Path("t5_encoder_tiny.bf16.pth"), Path.Combine(root, "official", UmT5Checkpoint.OfficialFileName));

            Dictionary<string, Tensor> diffusers = UmT5Checkpoint.Read(Path.Combine(root, "diffusers"));
            Dictionary<string, Tensor> official = UmT5Checkpoint.Read(Path.Combine(root, "official"));

            Assert.Equal(transformers.Count, diffusers.Count);
            Assert.All(transformers, kv => Assert.True(kv.Value.equal(diffusers[kv.Key]).all().item<bool>(), kv.Key));
            using UmT5Encoder fromDiffusers = UmT5Encoder.Load(diffusers);
            using UmT5Encoder fromOfficial = UmT5Encoder.Load(official);
            Assert.Equal(fromDiffusers.Config, fromOfficial.Config);
            Assert.NotEqual(fromDiffusers.WeightsSha256, fromOfficial.WeightsSha256); // float32 vs bfloat16-rounded weights
            Assert.Throws<FileNotFoundException>(() => UmT5Checkpoint.Read(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
