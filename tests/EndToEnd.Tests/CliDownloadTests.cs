using System.Security.Cryptography;
using System.Text.Json;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// Results fetched any time: <c>render --detach</c>, the same command attaching to the same job (<c>--new</c> for
/// another), <c>watch --download</c>, <c>download</c> in every format, and <c>delete</c>; the real CLI against a real silo.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class CliDownloadTests(SiloFixture silo) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-download-").FullName;

    [Fact]
    public async Task Detach_prints_the_job_id_the_same_command_attaches_to_it_and_download_writes_every_format()
    {
        // A seed no other test uses, so the derived key is this test's own.
        string[] render = ["render", "--server", silo.GrpcAddress, "--steps", "2", "--plan", "none", "--seed", "424242", "--detach"];
        LoomResult first = await LoomCli.RunAsync(_folder, render);
        Assert.True(first.ExitCode == 0, first.ToString());
        string id = first.Stdout.Trim();
        Assert.Matches("^[A-Za-z0-9._-]+$", id);

        LoomResult again = await LoomCli.RunAsync(_folder, render);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(id, again.Stdout.Trim());

        LoomResult fresh = await LoomCli.RunAsync(_folder, [.. render, "--new"]);
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.NotEqual(id, fresh.Stdout.Trim());

        LoomResult watch = await LoomCli.RunAsync(_folder, "watch", id, "--server", silo.GrpcAddress, "--download", "watched.gif", "--scale", "2");
        Assert.True(watch.ExitCode == 0, watch.ToString());
        Assert.Equal(new Ffprobe(16, 64, 64), await Ffprobe.ReadAsync(Path.Combine(_folder, "watched.gif")));
        Assert.Equal(id, ReadJson(Path.Combine(_folder, "watched.gif.json")).GetProperty("job_id").GetString());

        LoomResult latent = await LoomCli.RunAsync(_folder, "download", id, "--server", silo.GrpcAddress, "--out", "result.safetensors");
        Assert.True(latent.ExitCode == 0, latent.ToString());
        Job job = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, SiloFixture.Deadline());
        byte[] bytes = File.ReadAllBytes(Path.Combine(_folder, "result.safetensors"));
        Assert.Equal(job.ResultBytes, bytes.LongLength);
        JsonElement sidecar = ReadJson(Path.Combine(_folder, "result.safetensors.json"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sidecar.GetProperty("output").GetProperty("sha256").GetString());
        Assert.Equal(job.LatentSha256, sidecar.GetProperty("latent_sha256").GetString());
        Assert.Equal(424242, sidecar.GetProperty("seed").GetInt64());

        LoomResult mp4 = await LoomCli.RunAsync(_folder, "download", id, "--server", silo.GrpcAddress, "--out", "result.mp4");
        Assert.True(mp4.ExitCode == 0, mp4.ToString());
        Assert.Equal(new Ffprobe(16, 256, 256), await Ffprobe.ReadAsync(Path.Combine(_folder, "result.mp4")));

        LoomResult png = await LoomCli.RunAsync(_folder, "download", id, "--server", silo.GrpcAddress, "--out", "frames/");
        Assert.True(png.ExitCode == 0, png.ToString());
        Assert.Equal(16, Directory.GetFiles(Path.Combine(_folder, "frames"), "frame_*.png").Length);
        Assert.True(File.Exists(Path.Combine(_folder, "frames.json")));

        LoomResult unknown = await LoomCli.RunAsync(_folder, "download", "no-such-job", "--server", silo.GrpcAddress, "--out", "x.gif");
        Assert.True(unknown.ExitCode == 4, unknown.ToString());
        LoomResult badFormat = await LoomCli.RunAsync(_folder, "download", id, "--server", silo.GrpcAddress, "--out", "x.avi");
        Assert.True(badFormat.ExitCode == 2, badFormat.ToString());
    }

    [Fact]
    public async Task Delete_refuses_a_running_job_unless_cancel_and_removes_a_finished_one_with_its_result()
    {
        LoomResult started = await LoomCli.RunAsync(_folder,
            "render", "--server", silo.GrpcAddress, "--steps", "400", "--plan", "none", "--frames", "8", "--window-length", "8", "--seed", "515151", "--new", "--detach");
        Assert.True(started.ExitCode == 0, started.ToString());
        string running = started.Stdout.Trim();

        LoomResult refused = await LoomCli.RunAsync(_folder, "delete", running, "--server", silo.GrpcAddress);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("--cancel", refused.Stderr, StringComparison.Ordinal);
        LoomResult cancelled = await LoomCli.RunAsync(_folder, "delete", running, "--server", silo.GrpcAddress, "--cancel");
        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        LoomResult gone = await LoomCli.RunAsync(_folder, "status", running, "--server", silo.GrpcAddress);
        Assert.True(gone.ExitCode == 4, gone.ToString());

        string[] render = ["render", "--server", silo.GrpcAddress, "--steps", "1", "--plan", "none", "--seed", "616161", "--out", "kept.safetensors"];
        LoomResult done = await LoomCli.RunAsync(_folder, [.. render, "--json"]);
        Assert.True(done.ExitCode == 0, done.ToString());
        string id = done.JsonLines[^1].GetProperty("job_id").GetString()!;
        Job before = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, SiloFixture.Deadline());
        Assert.True(File.Exists(before.OutputPath));

        LoomResult deleted = await LoomCli.RunAsync(_folder, "delete", id, "--server", silo.GrpcAddress);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains($"deleted job {id} (it was completed)", deleted.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(before.OutputPath));
        LoomResult noResult = await LoomCli.RunAsync(_folder, "download", id, "--server", silo.GrpcAddress, "--out", "late.gif");
        Assert.True(noResult.ExitCode == 4, noResult.ToString());
        ListJobsResponse list = await silo.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1000 }, SiloFixture.Deadline());
        Assert.DoesNotContain(list.Jobs, j => j.JobId == id || j.JobId == running);

        // The key is free again: the same command renders anew (same spec and seed: the same bits).
        LoomResult rerun = await LoomCli.RunAsync(_folder, [.. render, "--json"]);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Job after = await silo.Jobs.GetJobAsync(new GetJobRequest { JobId = rerun.JsonLines[^1].GetProperty("job_id").GetString() }, SiloFixture.Deadline());
        Assert.Equal(JobState.Completed, after.State);
        Assert.True(after.SubmittedAt.ToDateTime() > before.FinishedAt.ToDateTime());
        Assert.Equal(before.LatentSha256, after.LatentSha256);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
}
