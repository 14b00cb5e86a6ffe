using System.Text;
using Loom.Models.Wan.Folders;

namespace Loom.Models.Tests;

/// <summary>Wan model folders recognised from their files, and every reason a folder is refused.</summary>
public sealed class WanModelFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("loom-wan-folders-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("t2v", 1, "wan2.1", null, new[] { "transformer", "vae", "text_encoder", "tokenizer" })]
    [InlineData("t2v", 3, "wan2.1", null, new[] { "transformer", "vae", "text_encoder", "tokenizer" })]
    [InlineData("i2v", 2, "wan2.1", null, new[] { "transformer", "vae", "text_encoder", "tokenizer", "image_encoder" })]
    [InlineData("ti2v", 1, "wan2.2", null, new[] { "transformer", "vae", "text_encoder", "tokenizer" })]
    [InlineData("t2v-a14b", 2, "wan2.2", 0.875, new[] { "high_noise", "low_noise", "vae", "text_encoder", "tokenizer" })]
    [InlineData("i2v-a14b", 2, "wan2.2", 0.9, new[] { "high_noise", "low_noise", "vae", "text_encoder", "tokenizer" })]
    public void The_official_layouts_are_recognised(string kind, int shards, string family, double? boundary, string[] roles)
    {
        string dir = Path.Combine(_root, "Wan-" + kind);
        TinyWanFolder.Official(dir, kind, shards);

        WanModelFolder model = WanModelFolder.Inspect(dir);

        Assert.Empty(model.Problems);
        Assert.True(model.IsModel);
        Assert.Equal(("Wan-" + kind, family, kind, WanLayout.Official, boundary), (model.Name, model.Family, model.Kind, model.Layout, model.Boundary));
        Assert.Equal(roles, model.Components.Select(c => c.Role));
        Assert.Equal(kind == "ti2v" ? "Wan2.2_VAE.pth" : "Wan2.1_VAE.pth", Path.GetFileName(model.Component("vae")!.Path));
        string transformer = kind.EndsWith("a14b", StringComparison.Ordinal) ? "high_noise_model/" : "";
        string[] weights = shards == 1
            ? [$"{transformer}config.json", $"{transformer}diffusion_pytorch_model.safetensors"]
            : [$"{transformer}config.json", $"{transformer}diffusion_pytorch_model.safetensors.index.json", .. Enumerable.Range(1, shards).Select(i => $"{transformer}diffusion_pytorch_model-{i:00000}-of-{shards:00000}.safetensors")];
        Assert.Equal(weights, model.Components[0].Files);
        // Sizes are the files' own; README, assets/ and examples/ are not part of the model.
        long expected = model.Components.SelectMany(c => c.Files).Sum(f => new FileInfo(Path.Combine(dir, f)).Length);
        Assert.Equal(expected, model.Bytes);
        Assert.True(model.Bytes < Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length));
    }

    [Theory]
    [InlineData("t2v", "wan2.1", null)]
    [InlineData("i2v", "wan2.1", null)]
    [InlineData("ti2v", "wan2.2", null)]
    [InlineData("t2v-a14b", "wan2.2", 0.875)]
    [InlineData("i2v-a14b", "wan2.2", 0.9)]
    public void The_diffusers_layouts_are_recognised(string kind, string family, double? boundary)
    {
        string dir = Path.Combine(_root, "Wan-" + kind + "-Diffusers");
        TinyWanFolder.Diffusers(dir, kind);

        WanModelFolder model = WanModelFolder.Inspect(dir);

        Assert.Empty(model.Problems);
        Assert.Equal((family, kind, WanLayout.Diffusers, boundary), (model.Family, model.Kind, model.Layout, model.Boundary));
        Assert.Equal(Path.Combine(dir, "transformer"), model.Component(boundary is null ? "transformer" : "high_noise")!.Path);
        if (boundary is not null)
        {
            Assert.Equal(Path.Combine(dir, "transformer_2"), model.Component("low_noise")!.Path);
        }
        Assert.Contains("text_encoder/model-00002-of-00002.safetensors", model.Component("text_encoder")!.Files);
        Assert.Equal(kind == "i2v", model.Component("image_encoder") is not null);
    }

    [Fact]
    public void A_diffusers_boundary_ratio_in_model_index_wins_over_the_default()
    {
        string dir = Path.Combine(_root, "custom");
        TinyWanFolder.Diffusers(dir, "t2v-a14b");
        Edit(dir, "model_index.json", "0.875", "0.8");

        Assert.Equal(0.8, WanModelFolder.Inspect(dir).Boundary);
    }

    [Fact]
    public void Missing_pieces_are_named_one_by_one()
    {
        string dir = Path.Combine(_root, "Wan2.1-T2V-14B");
        TinyWanFolder.Official(dir, "t2v", shards: 3);
        File.Delete(Path.Combine(dir, "Wan2.1_VAE.pth"));
        File.Delete(Path.Combine(dir, "diffusion_pytorch_model-00002-of-00003.safetensors"));
        File.Delete(Path.Combine(dir, "google", "umt5-xxl", "spiece.model"));
        File.Delete(Path.Combine(dir, "google", "umt5-xxl", "tokenizer.json"));

        WanModelFolder model = WanModelFolder.Inspect(dir);

        Assert.False(model.IsModel);
        Assert.Equal(WanKind.T2V, model.Kind);
        Assert.Equal(
            [
                "diffusion_pytorch_model-00002-of-00003.safetensors is missing (a shard named by diffusion_pytorch_model.safetensors.index.json).",
                "Wan2.1_VAE.pth is missing (the VAE).",
                "google/umt5-xxl/ holds none of spiece.model, tokenizer.json (the UMT5 tokenizer).",
            ],
            model.Problems);
    }

    [Fact]
    public void A_folder_without_a_config_is_not_a_model()
    {
        string empty = Path.Combine(_root, "notes");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "todo.txt"), "x");
        string loose = Path.Combine(_root, "weights-only");
        TinyWanFolder.Official(loose, "t2v");
        File.Delete(Path.Combine(loose, "config.json"));

        Assert.Equal(["no config.json (the official Wan layout) or model_index.json (the Diffusers layout): not a Wan model folder."], WanModelFolder.Inspect(empty).Problems);
        Assert.Equal(["holds Wan files but neither config.json (the official layout) nor model_index.json (the Diffusers layout)."], WanModelFolder.Inspect(loose).Problems);
        Assert.Equal([$"{Path.Combine(_root, "absent")} is not a folder."], WanModelFolder.Inspect(Path.Combine(_root, "absent")).Problems);
        Assert.Null(WanModelFolder.Inspect(empty).Layout);
    }

    [Fact]
    public void A_two_expert_model_needs_both_experts_of_one_kind()
    {
        string dir = Path.Combine(_root, "Wan2.2-T2V-A14B");
        TinyWanFolder.Official(dir, "t2v-a14b", shards: 2);
        Directory.Delete(Path.Combine(dir, "low_noise_model"), recursive: true);
        Assert.Equal(["low_noise_model/ is missing (a Wan2.2 A14B model needs both experts, high_noise_model/ and low_noise_model/)."], WanModelFolder.Inspect(dir).Problems);

        string mixed = Path.Combine(_root, "mixed");
        TinyWanFolder.Official(mixed, "t2v-a14b");
        Edit(mixed, "low_noise_model/config.json", "\"t2v\"", "\"i2v\"");
        Assert.Equal(["high_noise_model/config.json says model_type 't2v' but low_noise_model/config.json says 'i2v': the two experts must be of one model."], WanModelFolder.Inspect(mixed).Problems);
    }

    [Fact]
    public void Configs_of_other_models_are_refused_with_what_they_are()
    {
        string flf = Path.Combine(_root, "flf2v");
        TinyWanFolder.Official(flf, "t2v");
        Edit(flf, "config.json", "\"t2v\"", "\"flf2v\"");
        Assert.Equal(["config.json: model_type 'flf2v' is not a model Loom runs (t2v, i2v, ti2v)."], WanModelFolder.Inspect(flf).Problems);

        string other = Path.Combine(_root, "other");
        TinyWanFolder.Official(other, "t2v");
        Edit(other, "config.json", "WanModel", "UNet3DConditionModel");
        Assert.Contains("config.json describes a UNet3DConditionModel, not a Wan transformer (WanModel).", WanModelFolder.Inspect(other).Problems);

        string vace = Path.Combine(_root, "vace-Diffusers");
        TinyWanFolder.Diffusers(vace, "t2v");
        Edit(vace, "model_index.json", "WanPipeline", "WanVACEPipeline");
        Assert.Equal(["model_index.json names the pipeline 'WanVACEPipeline', not a Wan pipeline Loom runs (WanPipeline, WanImageToVideoPipeline)."], WanModelFolder.Inspect(vace).Problems);

        string broken = Path.Combine(_root, "broken");
        TinyWanFolder.Official(broken, "t2v");
        File.WriteAllText(Path.Combine(broken, "config.json"), "{ \"model_type\": ");
        Assert.StartsWith("config.json is not valid JSON", Assert.Single(WanModelFolder.Inspect(broken).Problems));
    }

    [Fact]
    public void Image_to_video_on_wan21_needs_the_clip_encoder()
    {
        string dir = Path.Combine(_root, "Wan2.1-I2V-14B-480P");
        TinyWanFolder.Official(dir, "i2v");
        File.Delete(Path.Combine(dir, "models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth"));

        Assert.Equal(["models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth is missing (the CLIP image encoder Wan2.1 image-to-video needs)."], WanModelFolder.Inspect(dir).Problems);
    }

    [Fact]
    public void Diffusers_components_listed_by_the_index_must_be_there()
    {
        string dir = Path.Combine(_root, "Wan2.2-I2V-A14B-Diffusers");
        TinyWanFolder.Diffusers(dir, "i2v-a14b");
        Directory.Delete(Path.Combine(dir, "transformer_2"), recursive: true);
        File.Delete(Path.Combine(dir, "vae", "diffusion_pytorch_model.safetensors"));

        Assert.Equal(
            [
                "transformer_2/ is missing (model_index.json lists it).",
                "vae/diffusion_pytorch_model.safetensors (or diffusion_pytorch_model.safetensors.index.json with its shards) is missing (the VAE's weights).",
            ],
            WanModelFolder.Inspect(dir).Problems);
    }

    [Fact]
    public void Lfs_pointers_and_unfinished_downloads_are_not_weights()
    {
        string dir = Path.Combine(_root, "Wan2.1-T2V-1.3B");
        TinyWanFolder.Official(dir, "t2v");
        File.WriteAllText(Path.Combine(dir, "models_t5_umt5-xxl-enc-bf16.pth"), "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 11361920418\n");
        File.WriteAllBytes(Path.Combine(dir, "Wan2.1_VAE.pth.incomplete"), [1, 2, 3]);

        Assert.Equal(
            [
                "models_t5_umt5-xxl-enc-bf16.pth is a Git LFS pointer, not the file itself (clone with git lfs, or use loom models pull).",
                "Wan2.1_VAE.pth.incomplete is an unfinished download (run loom models pull again to resume it).",
            ],
            WanModelFolder.Inspect(dir).Problems);
    }

    [Fact]
    public void Scan_inspects_every_folder_in_name_order()
    {
        TinyWanFolder.Official(Path.Combine(_root, "b-model"), "t2v");
        TinyWanFolder.Diffusers(Path.Combine(_root, "a-model"), "t2v");
        Directory.CreateDirectory(Path.Combine(_root, "c-empty"));

        IReadOnlyList<WanModelFolder> found = WanModelFolder.Scan(_root);

        Assert.Equal(["a-model", "b-model", "c-empty"], found.Select(f => f.Name));
        Assert.Equal([true, true, false], found.Select(f => f.IsModel));
    }

    private static void Edit(string dir, string file, string from, string to)
    {
        string path = Path.Combine(dir, file);
        string text = File.ReadAllText(path, Encoding.UTF8);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }
}
