using System.Text.Json;
using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Text;
using static TorchSharp.torch;

namespace Loom.Models.Tests.Wan.Text;

public sealed class UmT5EncoderTests
{
    private static readonly string FixturePath = WanFixtureFiles.Path("t5_encoder_tiny.safetensors");

    [Fact]
    public void FixtureOutputsBucketsAndIntermediatesAreReproducedInFloat32()
    {
        IReadOnlyList<TensorCheck> checks = WanFixtureRunners.For(FixturePath).Run(FixturePath);

        Assert.Contains(checks, c => c.Name == "output.y");
        Assert.Contains(checks, c => c.Name == "debug.rel_buckets" && c.Tolerance == 0);
        Assert.Contains(checks, c => c.Name == "output.y[0][:seq_lens[0]]");
        Assert.Equal(8, checks.Count);
        Assert.All(checks, c => Assert.True(c.Pass, $"{c.Name}: max abs {c.MaxAbs} {c.Detail}"));
    }

    [Fact]
    public void DiffusersNamedWeightsGiveTheSameOutputs()
    {
        using WanFixture fixture = WanFixture.Load(FixturePath);
        Dictionary<string, string> names = DiffusersNames();
        var renamed = fixture.Weights.ToDictionary(kv => names[kv.Key], kv => kv.Value);
        renamed["encoder.embed_tokens.weight"] = renamed["shared.weight"];

        IReadOnlyList<TensorCheck> checks = new T5FixtureRunner().Run(FixturePath, renamed);

        Assert.All(checks, c => Assert.True(c.Pass, $"{c.Name}: max abs {c.MaxAbs} {c.Detail}"));
    }

    [Fact]
    public void NameRulesCoverEveryT5EntryOfTheDiffusersTableBothWays()
    {
        Dictionary<string, string> names = DiffusersNames();

        Assert.Equal(22, names.Count);
        foreach (var (official, transformers) in names)
        {
            Assert.Equal(official, UmT5WeightNames.OfficialName(transformers));
            Assert.Equal(transformers, UmT5WeightNames.TransformersName(official));
        }
        Assert.Throws<InvalidDataException>(() => UmT5WeightNames.OfficialName("encoder.block.0.layer.2.unknown.weight"));
    }

    [Fact]
    public void OfficialPickleEqualsTheSafetensorsWeightsRoundedToBFloat16()
    {
        using WanFixture fixture = WanFixture.Load(FixturePath);
        Dictionary<string, Tensor> pth = UmT5Checkpoint.Read(WanFixtureFiles.Path("t5_encoder_tiny.bf16.pth"));

        Assert.Equal(fixture.Weights.Keys.Order(), pth.Keys.Order());
        foreach (var (name, weight) in fixture.Weights)
        {
            Assert.Equal(ScalarType.BFloat16, pth[name].dtype);
            using Tensor rounded = weight.to(ScalarType.BFloat16);
            Assert.True(rounded.eq(pth[name]).all().item<bool>(), $"{name} differs from its bfloat16 rounding");
        }
    }

    [Fact]
    public void BFloat16EncoderFromThePickleStaysNearTheFloat32Reference()
    {
        using WanFixture fixture = WanFixture.Load(FixturePath);
        using var scope = NewDisposeScope();
        using UmT5Encoder encoder = UmT5Encoder.Load(UmT5Checkpoint.Read(WanFixtureFiles.Path("t5_encoder_tiny.bf16.pth")), ScalarType.BFloat16);

        Tensor y = encoder.forward(fixture.Input("ids"), fixture.Input("mask")).to(ScalarType.Float32);

        Assert.Equal(ScalarType.BFloat16, encoder.DType);
        Tensor expected = fixture.Outputs["y"];
        double relative = ((y - expected).abs().max() / expected.abs().max()).item<float>();
        Assert.InRange(relative, 1e-4, 5e-2); // bfloat16 rounding, not a different computation
    }

    [Fact]
    public void IgnoringTheMaskChangesThePaddedPromptAndLoadingChecksEveryTensor()
    {
        using WanFixture fixture = WanFixture.Load(FixturePath);
        using var scope = NewDisposeScope();
        using UmT5Encoder encoder = UmT5Encoder.Load(fixture.Weights);

        Tensor unmasked = encoder.forward(fixture.Input("ids"), ones_like(fixture.Input("mask")));

        Assert.True((unmasked[0] - fixture.Outputs["y"][0]).abs().max().item<float>() > 0.1);
        Assert.Equal(new UmT5Config(64, 32, 32, 64, 4, 2, 8), encoder.Config);
        var missing = fixture.Weights.Where(kv => kv.Key != "blocks.1.ffn.fc2.weight").ToDictionary();
        Assert.Contains("blocks.1.ffn.fc2.weight", Assert.Throws<InvalidDataException>(() => UmT5Encoder.Load(missing)).Message);
    }

    [Fact]
    public void ThirtyTwoBucketsFollowTheUmT5Table()
    {
        using Tensor buckets = UmT5RelativeBias.Buckets(1, 200, 32, 128);
        long[] row = buckets[0].data<long>().ToArray();

        int[] expectedOffsets = [.. Enumerable.Range(0, 8), .. Enumerable.Repeat(8, 4), .. Enumerable.Repeat(9, 4), .. Enumerable.Repeat(10, 7),
            .. Enumerable.Repeat(11, 9), .. Enumerable.Repeat(12, 14), .. Enumerable.Repeat(13, 18), .. Enumerable.Repeat(14, 27)];
        for (int distance = 1; distance < 200; distance++)
        {
            int offset = distance < expectedOffsets.Length ? expectedOffsets[distance] : 15;
            Assert.Equal(16 + offset, row[distance]);
        }
        Assert.Equal(0, row[0]);
    }

    private static Dictionary<string, string> DiffusersNames()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(WanFixtureFiles.Path("diffusers_names.json")));
        return json.RootElement.GetProperty("files").GetProperty("t5_encoder_tiny.safetensors").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }
}
