using System.Text.Json;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary><c>loom render</c> and the job commands, run as the real CLI process against a real silo process.</summary>
[Collection(SiloCollection.Name)]
public sealed class CliRenderTests(SiloFixture silo) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-render-").FullName;

    [Fact]
    public async Task Render_writes_an_mp4_that_ffprobe_decodes_and_a_sidecar_that_matches_the_request_and_the_job()
    {
        LoomResult run = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--scene", "5", "--frames", "16", "--steps", "3", "--plan", "1-2:1", "--tau", "0.2", "--seed", "11",
            "--out", "scene5.mp4");

        Assert.True(run.ExitCode == 0, run.ToString());
        string video = Path.Combine(_folder, "scene5.mp4");
        Ffprobe probe = await Ffprobe.ReadAsync(video);
        Assert.Equal(new Ffprobe(16, 256, 256), probe); // 32x32 frames at the default 8x for mp4
        JsonElement sidecar = ReadJson(video + ".json");
        JsonElement spec = sidecar.GetProperty("spec");
        Assert.Equal(16, spec.GetProperty("frames").GetInt32());
        Assert.Equal(3, spec.GetProperty("steps").GetInt32());
        Assert.Equal("1-2:1", spec.GetProperty("plan").GetString());
        Assert.Equal(0.2, spec.GetProperty("tau").GetDouble());
        Assert.Equal(11, sidecar.GetProperty("seed").GetInt64());
        Assert.Equal(2, spec.GetProperty("conditioning").GetProperty("count").GetInt32());
        Assert.Equal("test scene 5", spec.GetProperty("conditioning").GetProperty("source").GetString());
        Assert.Equal(16, spec.GetProperty("window_length").GetInt32()); // unset: the server's default
        Assert.False(sidecar.GetProperty("request").TryGetProperty("window_length", out _));

        Job job = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = sidecar.GetProperty("job_id").GetString() }, SiloFixture.Deadline());
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(job.Evaluations, sidecar.GetProperty("nfe").GetProperty("evaluations").GetInt64());
        Assert.Equal(job.RefineEvaluations, sidecar.GetProperty("nfe").GetProperty("refine").GetInt64());
        Assert.Equal(job.SkippedEvaluations, sidecar.GetProperty("nfe").GetProperty("skipped").GetInt64());
        Assert.True(job.RefineEvaluations > 0);
        Assert.Equal(job.CertainFractions, sidecar.GetProperty("certain_fractions").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(3, job.CertainFractions.Count);
        ClusterStatus cluster = await silo.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), SiloFixture.Deadline());
        Assert.Equal(cluster.Models.Single(m => m.Name == "physics").Sha256, sidecar.GetProperty("model_sha256").GetString());
        JsonElement timings = sidecar.GetProperty("timings");
        Assert.True(timings.GetProperty("total_seconds").GetDouble() >= timings.GetProperty("sampling_seconds").GetDouble());
        Assert.True(timings.GetProperty("queued_seconds").GetDouble() >= 0);
        // Results are kept 7 days by default (Loom:Results:Retention): the job says when it expires.
        Assert.Equal(timings.GetProperty("finished_at").GetDateTimeOffset().AddDays(7), timings.GetProperty("expires_at").GetDateTimeOffset());
        Assert.StartsWith(silo.GrpcAddress, sidecar.GetProperty("server").GetString(), StringComparison.Ordinal);
        Assert.Equal(new FileInfo(video).Length, sidecar.GetProperty("output").GetProperty("bytes").GetInt64());
        Assert.Contains("step 3/3", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Png_frames_given_back_as_conditioning_are_the_scene_frames_and_the_gif_decodes()
    {
        LoomResult frames = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--scene", "1", "--steps", "2", "--plan", "none", "--out", "frames/", "--scale", "1");
        Assert.True(frames.ExitCode == 0, frames.ToString());
        Assert.Equal(16, Directory.GetFiles(Path.Combine(_folder, "frames"), "frame_*.png").Length);

        LoomResult gif = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--given", "frames/frame_0000.png", "frames/frame_0001.png", "--steps", "2", "--plan", "none", "--out", "given.gif", "--scale", "4");

        Assert.True(gif.ExitCode == 0, gif.ToString());
        Assert.Equal(new Ffprobe(16, 128, 128), await Ffprobe.ReadAsync(Path.Combine(_folder, "given.gif")));
        // The video keeps its given frames exactly, so the PNGs of frames 0-1 carry the scene's own pixels back.
        JsonElement scene = ReadJson(Path.Combine(_folder, "frames.json")).GetProperty("spec").GetProperty("conditioning");
        JsonElement given = ReadJson(Path.Combine(_folder, "given.gif.json")).GetProperty("spec").GetProperty("conditioning");
        Assert.Equal(2, given.GetProperty("count").GetInt32());
        Assert.Equal(scene.GetProperty("sha256").GetString(), given.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Compare_renders_plain_and_refined_from_one_seed_side_by_side_with_both_records()
    {
        LoomResult run = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--compare", "--scene", "2", "--steps", "3", "--plan", "1-2:2", "--tau", "0", "--seed", "5", "--out", "compare.mp4");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(new Ffprobe(16, 2 * 256 + 8, 256), await Ffprobe.ReadAsync(Path.Combine(_folder, "compare.mp4"))); // one black source column between
        JsonElement sidecar = ReadJson(Path.Combine(_folder, "compare.mp4.json"));
        JsonElement baseline = sidecar.GetProperty("baseline"), refined = sidecar.GetProperty("refined");
        Assert.Equal("none", baseline.GetProperty("spec").GetProperty("plan").GetString());
        Assert.Equal("1-2:2", refined.GetProperty("spec").GetProperty("plan").GetString());
        Assert.Equal(5, baseline.GetProperty("seed").GetInt64());
        Assert.Equal(5, refined.GetProperty("seed").GetInt64());
        Assert.Equal(3, baseline.GetProperty("nfe").GetProperty("evaluations").GetInt64());
        Assert.Equal(3 + 4, refined.GetProperty("nfe").GetProperty("evaluations").GetInt64()); // tau 0: nothing is ever certain
        Assert.NotEqual(baseline.GetProperty("latent_sha256").GetString(), refined.GetProperty("latent_sha256").GetString());
    }

    [Fact]
    public async Task Given_frames_of_the_wrong_size_are_refused_before_anything_is_submitted()
    {
        LoomResult frames = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--steps", "1", "--plan", "none", "--out", "big/", "--scale", "2");
        Assert.True(frames.ExitCode == 0, frames.ToString());
        long before = await TotalJobsAsync();

        LoomResult run = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--given", "big/frame_0000.png", "--steps", "1", "--out", "never.mp4");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("given: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("64x64", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await TotalJobsAsync());
        Assert.False(File.Exists(Path.Combine(_folder, "never.mp4")));
    }

    [Fact]
    public async Task A_field_the_server_refuses_is_named_and_exits_2()
    {
        LoomResult run = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--window-length", "8", "--window-overlap", "8", "--out", "refused.mp4", "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("window_overlap", run.Stderr, StringComparison.Ordinal);
        JsonElement error = Assert.Single(run.JsonLines);
        Assert.Equal("window_overlap", error.GetProperty("field").GetString());
        Assert.Equal(2, error.GetProperty("exit_code").GetInt32());
        Assert.False(File.Exists(Path.Combine(_folder, "refused.mp4")));
    }

    [Fact]
    public async Task Ctrl_c_cancels_the_job_on_the_server_and_exits_130()
    {
        using LoomCli cli = LoomCli.Start(_folder, "render", "--server", silo.GrpcAddress, "--steps", "400", "--plan", "none", "--frames", "8", "--window-length", "8", "--out", "long.mp4");
        await cli.WaitForOutputAsync("step ", TimeSpan.FromSeconds(60));

        cli.Interrupt();
        LoomResult run = await cli.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 130, run.ToString());
        string id = run.Stdout.Split(' ', ':', '\n').SkipWhile(w => w != "job").Skip(1).First();
        Job job = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, SiloFixture.Deadline());
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.True(job.StepsDone < 400);
        Assert.False(File.Exists(Path.Combine(_folder, "long.mp4")));
    }

    [Fact]
    public async Task Job_commands_need_a_server_name_unknown_jobs_and_show_known_ones()
    {
        LoomResult noServer = await LoomCli.RunAsync(_folder, "status", "some-job");
        Assert.True(noServer.ExitCode == 2, noServer.ToString());
        Assert.Contains("--server", noServer.Stderr, StringComparison.Ordinal);

        LoomResult unknown = await LoomCli.RunAsync(_folder, "status", "no-such-job", "--server", silo.GrpcAddress);
        Assert.True(unknown.ExitCode == 4, unknown.ToString());

        LoomResult render = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--steps", "1", "--plan", "none", "--out", "one.safetensors", "--json");
        Assert.True(render.ExitCode == 0, render.ToString());
        string id = render.JsonLines[^1].GetProperty("job_id").GetString()!;
        Assert.Equal(render.JsonLines[^1].GetProperty("result_bytes").GetInt64(), new FileInfo(Path.Combine(_folder, "one.safetensors")).Length);

        LoomResult status = await LoomCli.RunAsync(_folder, "status", id, "--server", silo.GrpcAddress, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("completed", Assert.Single(status.JsonLines).GetProperty("state").GetString());

        LoomResult list = await LoomCli.RunAsync(_folder, "list", "--server", silo.GrpcAddress, "--state", "completed", "--page-size", "1000", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(Assert.Single(list.JsonLines).GetProperty("jobs").EnumerateArray(), j => j.GetProperty("job_id").GetString() == id);

        LoomResult cluster = await LoomCli.RunAsync(_folder, "cluster", "--server", silo.GrpcAddress, "--json");
        Assert.True(cluster.ExitCode == 0, cluster.ToString());
        Assert.Contains(Assert.Single(cluster.JsonLines).GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "physics");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<long> TotalJobsAsync()
        => (await silo.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1 }, SiloFixture.Deadline())).Total;

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
}
