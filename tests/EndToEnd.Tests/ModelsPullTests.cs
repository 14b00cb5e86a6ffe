using Loom.Models.Tests;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// <c>loom models pull | verify | list</c> as a user runs them, against a fake hub on 127.0.0.1 serving tiny Wan
/// repositories: only the model's files come down, every one checked against the hub's checksum, a cut transfer
/// resumes with a Range, corrupted bytes never pass for the file, and HF_TOKEN opens a gated repository.
/// </summary>
public sealed class ModelsPullTests : IDisposable
{
    private const string Weights = "diffusion_pytorch_model.safetensors";

    private readonly string _root = Directory.CreateTempSubdirectory("loom-pull-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Pull_takes_only_the_model_verifies_every_file_and_a_second_pull_downloads_nothing()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        string models = Path.Combine(_root, "models");

        LoomResult pull = await PullAsync(hub, "--models", models);

        Assert.True(pull.ExitCode == 0, pull.ToString());
        string dir = Path.Combine(models, "Wan2.1-T2V-tiny");
        string[] expected = ["Wan2.1_VAE.pth", "config.json", Weights, "google/umt5-xxl/special_tokens_map.json", "google/umt5-xxl/spiece.model", "google/umt5-xxl/tokenizer.json", "google/umt5-xxl/tokenizer_config.json", "models_t5_umt5-xxl-enc-bf16.pth"];
        Assert.Equal(expected, Files(dir));
        foreach (string file in expected)
        {
            Assert.Equal(hub.File(file), File.ReadAllBytes(Path.Combine(dir, file)));
        }
        Assert.Contains($"{Weights} (", pull.Stdout);
        Assert.Contains("downloaded (sha256 verified)", pull.Stdout);
        Assert.Contains("downloaded (git blob sha1 verified)", pull.Stdout);
        Assert.Contains("leaving 5 files that are not part of the model: .gitattributes, LICENSE.txt, README.md, assets/logo.png, examples/i2v_input.JPG", pull.Stdout);
        Assert.Contains("Wan2.1-T2V-tiny: wan2.1 t2v, official layout", pull.Stdout);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("assets/", StringComparison.Ordinal) || r.Path.Contains("README", StringComparison.Ordinal));
        Assert.All(hub.Requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)), r => Assert.Contains($"/resolve/{TinyHub.Commit}/", r.Path));

        int before = hub.Requests.Count;
        LoomResult again = await PullAsync(hub, "--models", models);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(expected.Length, again.Stdout.Split('\n').Count(l => l.Contains("present (verified by an earlier pull)", StringComparison.Ordinal)));
        Assert.Equal(before + 1, hub.Requests.Count); // the listing only

        LoomResult verify = await LoomCli.RunAsync(_root, "models", "verify", "Wan2.1-T2V-tiny", "--models", models, "--sha256");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("sizes and checksums of 8 files against Wan-AI/Wan2.1-T2V-tiny@0123456789ab", verify.Stdout);

        LoomResult list = await LoomCli.RunAsync(_root, "models", "list", "--models", models);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("Wan2.1-T2V-tiny", list.Stdout);
        Assert.Contains("1 usable of 1", list.Stdout);
    }

    [Fact]
    public async Task A_transfer_cut_midway_resumes_with_a_range_and_ends_with_the_right_bytes()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        int half = hub.File(Weights).Length / 2;
        hub.CutAfter[Weights] = half;

        LoomResult pull = await PullAsync(hub, "--dir", Path.Combine(_root, "m"));

        Assert.True(pull.ExitCode == 0, pull.ToString());
        var gets = hub.Requests.Where(r => r.Path.EndsWith("/" + Weights, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Equal($"bytes={half}-", gets[1].Range);
        Assert.Contains($"resuming at byte {half}", pull.Stdout);
        Assert.Contains($"downloaded, resumed at byte {half} (sha256 verified)", pull.Stdout);
        Assert.Equal(TinyHub.Sha256(hub.File(Weights)), TinyHub.Sha256(File.ReadAllBytes(Path.Combine(_root, "m", Weights))));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, "m"), "*.incomplete", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_pull_interrupted_earlier_resumes_from_what_it_left()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        string dir = Path.Combine(_root, "m");
        Directory.CreateDirectory(dir);
        int kept = hub.File(Weights).Length / 3;
        File.WriteAllBytes(Path.Combine(dir, Weights + ".incomplete"), hub.File(Weights)[..kept]);

        LoomResult pull = await PullAsync(hub, "--dir", dir);

        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.Equal([$"bytes={kept}-"], hub.Requests.Where(r => r.Path.EndsWith("/" + Weights, StringComparison.Ordinal)).Select(r => r.Range));
        Assert.Equal(hub.File(Weights), File.ReadAllBytes(Path.Combine(dir, Weights)));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_checksum_are_fetched_again_and_else_reported_and_removed()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        hub.Corrupt["Wan2.1_VAE.pth"] = 1;
        hub.Corrupt[Weights] = int.MaxValue;
        string dir = Path.Combine(_root, "m");

        LoomResult pull = await PullAsync(hub, "--dir", dir);

        Assert.Equal(7, pull.ExitCode);
        string sha = TinyHub.Sha256(hub.File(Weights));
        Assert.Contains($"loom: {Weights}: downloaded twice and both times its sha256 was ", pull.Stderr);
        Assert.Contains($", not the hub's {sha}; the file was deleted.", pull.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, Weights)));
        Assert.False(File.Exists(Path.Combine(dir, Weights + ".incomplete")));
        Assert.Equal(2, hub.Requests.Count(r => r.Path.EndsWith("/" + Weights, StringComparison.Ordinal)));
        // The VAE was bad once: fetched again, and right.
        Assert.Contains("Wan2.1_VAE.pth: sha256 ", pull.Stdout);
        Assert.Contains("deleted, downloading it again", pull.Stdout);
        Assert.Equal(hub.File("Wan2.1_VAE.pth"), File.ReadAllBytes(Path.Combine(dir, "Wan2.1_VAE.pth")));
        Assert.Contains($"problem: {Weights} (or diffusion_pytorch_model.safetensors.index.json with its shards) is missing", pull.Stdout);

        // Once the hub serves the right bytes, the next pull finishes the model, fetching only what is missing.
        hub.Corrupt.Clear();
        int before = hub.Requests.Count;
        LoomResult again = await PullAsync(hub, "--dir", dir);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(2, hub.Requests.Count - before);
    }

    [Fact]
    public async Task Without_checksums_in_the_listing_the_transfer_tags_are_checked()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        hub.Blobs = false;
        hub.Corrupt["models_t5_umt5-xxl-enc-bf16.pth"] = int.MaxValue;

        LoomResult pull = await PullAsync(hub, "--dir", Path.Combine(_root, "m"));

        Assert.Equal(7, pull.ExitCode);
        string[] lines = pull.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith($"{Weights} (131 kB)", StringComparison.Ordinal) && l.EndsWith("downloaded (sha256 verified)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("config.json (", StringComparison.Ordinal) && l.EndsWith("downloaded (git blob sha1 verified)", StringComparison.Ordinal));
        Assert.Contains($"models_t5_umt5-xxl-enc-bf16.pth: downloaded twice and both times its sha256 was ", pull.Stderr);
        Assert.False(File.Exists(Path.Combine(_root, "m", "models_t5_umt5-xxl-enc-bf16.pth")));
    }

    [Fact]
    public async Task A_gated_repository_needs_HF_TOKEN_sent_as_a_bearer_token()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.2-T2V-A14B-Diffusers", "t2v-a14b", diffusers: true, token: "hf_tiny_secret");
        string dir = Path.Combine(_root, "Wan2.2-T2V-A14B-Diffusers");
        var endpoint = new Dictionary<string, string?> { ["HF_ENDPOINT"] = hub.Endpoint.ToString() };

        LoomResult anonymous = await LoomCli.RunAsync(_root, endpoint, "models", "pull", hub.RepoId, "--dir", dir);
        Assert.Equal(3, anonymous.ExitCode);
        Assert.Contains("needs a login (401): it is gated or private; set HF_TOKEN", anonymous.Stderr);

        LoomResult wrong = await LoomCli.RunAsync(_root, new Dictionary<string, string?>(endpoint) { ["HF_TOKEN"] = "hf_wrong" }, "models", "pull", hub.RepoId, "--dir", dir);
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("HF_TOKEN may not read Wan-AI/Wan2.2-T2V-A14B-Diffusers (403)", wrong.Stderr);

        int before = hub.Requests.Count;
        LoomResult pull = await LoomCli.RunAsync(_root, new Dictionary<string, string?>(endpoint) { ["HF_TOKEN"] = "hf_tiny_secret" }, "models", "pull", hub.RepoId, "--dir", dir);
        Assert.True(pull.ExitCode == 0, pull.ToString());
        Assert.All(hub.Requests.Skip(before), r => Assert.Equal("Bearer hf_tiny_secret", r.Authorization));
        Assert.Contains("Wan2.2-T2V-A14B-Diffusers: wan2.2 t2v-a14b, diffusers layout", pull.Stdout);
        Assert.Contains("experts switch at t = 875", pull.Stdout);
    }

    [Fact]
    public async Task Unknown_repositories_and_revisions_are_not_found()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");

        LoomResult repo = await LoomCli.RunAsync(_root, "models", "pull", "Wan-AI/Nope", "--endpoint", hub.Endpoint.ToString(), "--dir", Path.Combine(_root, "x"));
        LoomResult revision = await PullAsync(hub, "--revision", "v9", "--dir", Path.Combine(_root, "y"));
        LoomResult bad = await LoomCli.RunAsync(_root, "models", "pull", "not-a-repo", "--endpoint", hub.Endpoint.ToString());

        Assert.Equal(4, repo.ExitCode);
        Assert.Contains("Wan-AI/Nope not found on", repo.Stderr);
        Assert.Equal(4, revision.ExitCode);
        Assert.Contains("revision 'v9' of Wan-AI/Wan2.1-T2V-tiny not found", revision.Stderr);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'not-a-repo' is not a hub repository id", bad.Stderr);
    }

    [Fact]
    public async Task Verify_finds_damage_a_pull_record_exposes()
    {
        await using TinyHub hub = await HubAsync("Wan-AI/Wan2.1-T2V-tiny", "t2v");
        string dir = Path.Combine(_root, "m");
        Assert.Equal(0, (await PullAsync(hub, "--dir", dir)).ExitCode);
        byte[] vae = File.ReadAllBytes(Path.Combine(dir, "Wan2.1_VAE.pth"));
        vae[vae.Length / 2] ^= 1; // a byte of the pickle's data: the zip still opens, so only the checksum can tell
        File.WriteAllBytes(Path.Combine(dir, "Wan2.1_VAE.pth"), vae);

        LoomResult shallow = await LoomCli.RunAsync(_root, "models", "verify", dir);
        LoomResult deep = await LoomCli.RunAsync(_root, "models", "verify", dir, "--sha256");

        Assert.True(shallow.ExitCode == 0, shallow.ToString());
        Assert.EndsWith("ok", shallow.Stdout.Trim());
        Assert.Equal(7, deep.ExitCode);
        Assert.Contains("problem: Wan2.1_VAE.pth: sha256 ", deep.Stdout);
        Assert.Contains($"but Wan-AI/Wan2.1-T2V-tiny@0123456789ab published {TinyHub.Sha256(hub.File("Wan2.1_VAE.pth"))}.", deep.Stdout);

        // A file of another size is caught without hashing: the pull record has every size.
        File.AppendAllText(Path.Combine(dir, "google", "umt5-xxl", "tokenizer.json"), " ");
        LoomResult sized = await LoomCli.RunAsync(_root, "models", "verify", dir);
        Assert.Equal(7, sized.ExitCode);
        Assert.Contains($"problem: google/umt5-xxl/tokenizer.json: {hub.File("google/umt5-xxl/tokenizer.json").Length + 1} bytes, but Wan-AI/Wan2.1-T2V-tiny@0123456789ab published {hub.File("google/umt5-xxl/tokenizer.json").Length}.", sized.Stdout);
    }

    private async Task<TinyHub> HubAsync(string repoId, string kind, bool diffusers = false, string? token = null)
    {
        string source = Path.Combine(_root, "hub-" + kind);
        if (diffusers)
        {
            TinyWanFolder.Diffusers(source, kind, floats: 16384);
        }
        else
        {
            TinyWanFolder.Official(source, kind, floats: 16384);
        }
        return await TinyHub.StartAsync(repoId, source, token);
    }

    private Task<LoomResult> PullAsync(TinyHub hub, params string[] options)
        => LoomCli.RunAsync(_root, ["models", "pull", hub.RepoId, "--endpoint", hub.Endpoint.ToString(), .. options]);

    private static string[] Files(string dir)
        => [.. Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.StartsWith('.'))
            .Order(StringComparer.Ordinal)];
}
