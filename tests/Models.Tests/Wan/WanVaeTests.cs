using System.Text.Json;
using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Vae;
using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan;

public sealed class WanVaeTests
{
    private static readonly string Fixtures = WanFixtureFiles.Folder;
    private static readonly string Golden = Path.Combine(Fixtures, "vae_tiny.safetensors");

    [Fact]
    public void ReproducesTheGoldenOutputsAndIntermediates()
    {
        IReadOnlyList<TensorCheck> checks = WanFixtureRunners.For(Golden).Run(Golden);

        Assert.Contains(checks, c => c.Name == "output.decoded");
        Assert.Contains(checks, c => c.Name == "output.image_mu");
        Assert.Contains(checks, c => c.Name == "debug.encoder_chunk2");
        Assert.All(checks, c => Assert.True(c.Pass, $"{c.Name}: max abs {c.MaxAbs:e2} {c.Detail}"));
    }

    [Fact]
    public void DiffusersNamesGiveTheSameOutputs()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        Dictionary<string, string> names = VaeNames();
        var renamed = fixture.Weights.ToDictionary(kv => names[kv.Key], kv => kv.Value);

        var official = WanFixtureRunners.For(Golden).Run(Golden);
        var diffusers = WanFixtureRunners.For(Golden).Run(Golden, renamed);

        Assert.Equal(official.Select(c => (c.Name, c.MaxAbs)), diffusers.Select(c => (c.Name, c.MaxAbs)));
    }

    [Fact]
    public void NameRulesGiveEveryDiffusersNameOfTheFixture()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        var config = WanVaeConfig.FromJson(fixture.Config, Golden);
        Dictionary<string, string> names = VaeNames();

        Assert.Equal(fixture.Weights.Count, names.Count);
        Assert.All(names, kv => Assert.Equal(kv.Value, WanVaeNames.ToDiffusers(kv.Key, config)));
        Assert.Throws<ArgumentException>(() => WanVaeNames.ToDiffusers("decoder.nonsense.0.weight", config));
    }

    [Fact]
    public void OfficialPickleHoldsExactlyTheSafetensorsWeights()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        Dictionary<string, Tensor> pickle = WanVaeWeights.ReadPth(Path.Combine(Fixtures, "vae_tiny.pth"));

        Assert.Equal(fixture.Weights.Keys.Order(), pickle.Keys.Order());
        Assert.All(fixture.Weights, kv => Assert.True(pickle[kv.Key].dtype == kv.Value.dtype && Same(pickle[kv.Key], kv.Value), kv.Key));
    }

    [Fact]
    public void LoadsFromThePickleAndFromADiffusersFolderAlike()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        Tensor mu = fixture.Tensor("output.mu");
        using WanVae fromPickle = WanVaeWeights.Load(Path.Combine(Fixtures, "vae_tiny.pth"));
        using Tensor decoded = fromPickle.DecodeUnclamped(mu);
        Assert.True(TensorCheck.Compare("decoded", decoded, fixture.Tensor("output.decoded"), 1e-4).Pass);

        string folder = Directory.CreateTempSubdirectory("wan-vae-").FullName;
        try
        {
            Dictionary<string, string> names = VaeNames();
            SafeTensors.Save(Path.Combine(folder, WanVaeWeights.DiffusersWeights), fixture.Weights.ToDictionary(kv => names[kv.Key], kv => kv.Value));
            File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new
            {
                _class_name = "AutoencoderKLWan", base_dim = 4, z_dim = 16, dim_mult = new[] { 1, 2, 4, 4 }, num_res_blocks = 2,
                attn_scales = Array.Empty<double>(), temperal_downsample = new[] { false, true, true },
                latents_mean = WanVaeLatentStats.Mean, latents_std = WanVaeLatentStats.Std,
            }));
            using WanVae fromDiffusers = WanVaeWeights.Load(folder);
            using Tensor again = fromDiffusers.DecodeUnclamped(mu);
            Assert.True(Same(again, decoded));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AMissingOrMisshapenWeightIsNamed()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        var missing = fixture.Weights.Where(kv => kv.Key != "decoder.head.2.bias").ToDictionary();
        var error = Assert.Throws<InvalidDataException>(() => WanVaeWeights.FromWeights(missing, null, "test.safetensors"));
        Assert.Contains("decoder.head.2.bias", error.Message);

        var wide = fixture.Weights.ToDictionary();
        wide["decoder.head.2.bias"] = zeros(4);
        error = Assert.Throws<InvalidDataException>(() => WanVaeWeights.FromWeights(wide, null, "test.safetensors"));
        Assert.Contains("decoder.head.2.bias", error.Message);
    }

    [Fact]
    public void LatentStatisticsAreTheOfficialOnes()
    {
        using WanFixture fixture = WanFixture.Load(Golden);

        Assert.Equal(fixture.Input("scale_mean").data<float>().ToArray(), WanVaeLatentStats.Mean);
        Assert.Equal(fixture.Input("scale_inv_std").data<float>().ToArray(), WanVaeLatentStats.InverseStd);
    }

    [Fact]
    public void RefusesAFrameCountThatIsNotOnePlusFourK()
    {
        using WanVae vae = Tiny();
        using Tensor video = zeros([1, 3, 8, 16, 16]);

        var error = Assert.Throws<ArgumentException>(() => vae.Encode(video));
        Assert.Contains("video frames", error.Message);
        Assert.Contains("1 + 4k", error.Message);
    }

    [Fact]
    public void BFloat16DecodesAndEncodesWithinItsRoundingOfFloat32()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        using WanVae wide = WanVaeWeights.FromWeights(fixture.Weights, null, Golden, ScalarType.Float32);
        using WanVae bf16 = WanVaeWeights.FromWeights(fixture.Weights, null, Golden, ScalarType.BFloat16);
        Tensor latent = fixture.Tensor("output.mu"), video = fixture.Input("video");
        using Tensor decoded = bf16.DecodeUnclamped(latent);
        using Tensor decodedWide = wide.DecodeUnclamped(latent);
        using Tensor mu = bf16.Encode(video);
        using Tensor muWide = wide.Encode(video);

        // Measured on the CPU: decode max abs 0.048 against float32 (outputs up to 2.52), encode 0.013 (latents up to
        // 1.46), about 1e-2 relative as bfloat16's 8-bit mantissa gives through ~40 layers. Before the CPU bfloat16
        // convolutions were computed in float32 (VaeConvolution) they were off by 2.2 and 1.0. The bounds are twice the measurements.
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        Assert.Equal(ScalarType.Float32, decoded.dtype);
        Assert.Equal(ScalarType.Float32, mu.dtype);
        Assert.Equal(decodedWide.shape, decoded.shape);
        Assert.Equal(muWide.shape, mu.shape);
        double decodeError = (decoded - decodedWide).abs().max().item<float>();
        double encodeError = (mu - muWide).abs().max().item<float>();
        Assert.True(decodeError < 0.1, $"bfloat16 decode max abs {decodeError:g3} vs float32 (measured 0.048)");
        Assert.True(encodeError < 0.03, $"bfloat16 encode max abs {encodeError:g3} vs float32 (measured 0.013)");
    }

    [Fact]
    public void UInt8FramesRoundTheUnitRange()
    {
        using Tensor frames = tensor(new float[] { -2f, -1f, 0f, 0.5f, 1f, 3f }).reshape(1, 1, 1, 1, 6).expand(1, 3, 1, 1, 6);
        using Tensor bytes = WanVae.ToUInt8(frames);

        Assert.Equal(new long[] { 1, 1, 1, 6, 3 }, bytes.shape);
        Assert.Equal(new byte[] { 0, 0, 128, 191, 255, 255 }, bytes.select(4, 0).data<byte>().ToArray());
    }

    /// <summary>Same shape and every element equal (bit-exact up to the sign of zero).</summary>
    internal static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    internal static WanVae Tiny()
    {
        using WanFixture fixture = WanFixture.Load(Golden);
        return WanVaeWeights.FromWeights(fixture.Weights, WanVaeConfig.FromJson(fixture.Config, Golden), Golden);
    }

    private static Dictionary<string, string> VaeNames()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures, "diffusers_names.json")));
        return json.RootElement.GetProperty("files").GetProperty("vae_tiny.safetensors").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }
}
