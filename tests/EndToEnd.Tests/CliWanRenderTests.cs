using System.Text.Json;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// The Wan path as a user walks it, with the real CLI and a real silo process: <c>loom models make-tiny</c> writes a
/// random-weight text-to-video model into a models folder, a silo serves that folder, <c>loom render --model --prompt</c>
/// writes an MP4 that ffprobe decodes and a sidecar with the prompt, the negative prompt, the model's SHA-256 and every
/// sampling parameter.
/// </summary>
public sealed class CliWanRenderTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-wan-").FullName;
    private readonly string _models = Directory.CreateTempSubdirectory("loom-wan-models-").FullName;
    private SiloFixture? _silo;

    public async Task InitializeAsync()
    {
        LoomResult tiny = await LoomCli.RunAsync(_folder, "models", "make-tiny", "--kind", "t2v", "--out", Path.Combine(_models, "wan-tiny"));
        Assert.True(tiny.ExitCode == 0, tiny.ToString());
        _silo = await SiloFixture.StartAsync($"ModelDirectory={_models}");
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        Directory.Delete(_folder, recursive: true);
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public async Task Render_with_a_prompt_writes_an_mp4_that_decodes_and_a_complete_sidecar()
    {
        SiloFixture silo = _silo!;
        LoomResult run = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--model", "wan-tiny", "--prompt", "a red ball rolls across a wooden table",
            "--size", "32x32", "--frames", "9", "--steps", "3", "--plan", "1:1", "--seed", "3", "--out", "wan.mp4");

        Assert.True(run.ExitCode == 0, run + "\n" + silo.Log);
        string video = Path.Combine(_folder, "wan.mp4");
        Assert.Equal(new Ffprobe(9, 256, 256), await Ffprobe.ReadAsync(video)); // 32x32 frames at the default 8x for mp4
        JsonElement sidecar = JsonDocument.Parse(File.ReadAllText(video + ".json")).RootElement;
        JsonElement spec = sidecar.GetProperty("spec");
        Assert.Equal("wan-tiny", sidecar.GetProperty("model").GetString());
        Assert.Matches("^[0-9a-f]{64}$", sidecar.GetProperty("model_sha256").GetString());
        Assert.Equal("a red ball rolls across a wooden table", spec.GetProperty("prompt").GetString());
        Assert.StartsWith("色调艳丽", spec.GetProperty("negative_prompt").GetString(), StringComparison.Ordinal); // the family's default
        Assert.Equal(9, spec.GetProperty("frames").GetInt32());
        Assert.Equal(32, spec.GetProperty("width").GetInt32());
        Assert.Equal(3, spec.GetProperty("steps").GetInt32());
        Assert.Equal(5.0, spec.GetProperty("shift").GetDouble()); // Wan2.1 T2V's shift, not the physics model's 1
        Assert.Equal(5.0, spec.GetProperty("guidance").GetDouble());
        Assert.Equal(0.2, spec.GetProperty("tau").GetDouble());
        Assert.Equal("1:1", spec.GetProperty("plan").GetString());
        Assert.Equal(3, sidecar.GetProperty("seed").GetInt64());
        // 3 steps and one refinement at step 1: 4 predictions, each a CFG forward of 2 (tau 0.2 may stop the refinement early).
        Assert.InRange(sidecar.GetProperty("nfe").GetProperty("evaluations").GetInt64(), 6, 8);
    }

    [Fact]
    public async Task A_wan_job_without_a_prompt_or_with_frames_not_4k_plus_1_is_refused_naming_the_field()
    {
        SiloFixture silo = _silo!;
        LoomResult noPrompt = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--model", "wan-tiny", "--size", "32x32", "--frames", "9", "--out", "x.mp4");
        Assert.NotEqual(0, noPrompt.ExitCode);
        Assert.Contains("prompt", noPrompt.Stderr, StringComparison.Ordinal);

        LoomResult frames = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--model", "wan-tiny", "--prompt", "p", "--size", "32x32", "--frames", "8", "--out", "x.mp4");
        Assert.NotEqual(0, frames.ExitCode);
        Assert.Contains("frames: a Wan video has 4k + 1 frames", frames.Stderr, StringComparison.Ordinal);

        LoomResult guidance = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--model", "wan-tiny", "--prompt", "p", "--size", "32x32", "--frames", "9", "--guidance", "4", "3", "--out", "x.mp4");
        Assert.NotEqual(0, guidance.ExitCode);
        Assert.Contains("guidance_low_noise", guidance.Stderr, StringComparison.Ordinal);
    }
}
