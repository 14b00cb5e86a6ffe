using Google.Protobuf;
using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>Every bad field is refused with INVALID_ARGUMENT naming it, and nothing is accepted or disturbed.</summary>
[Collection(SiloCollection.Name)]
public sealed class SubmitValidationTests(SiloFixture silo)
{
    /// <summary>Bad requests by name: what to break and the field that must be named.</summary>
    public static TheoryData<string, string> BadRequests()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, (field, _)) in Cases)
        {
            data.Add(name, field);
        }
        return data;
    }

    private static readonly Dictionary<string, (string Field, Action<SubmitJobRequest> Break)> Cases = new()
    {
        ["zero frames"] = ("frames", r => r.Spec.Frames = 0),
        ["negative frames"] = ("frames", r => r.Spec.Frames = -5),
        ["huge frames"] = ("frames", r => r.Spec.Frames = int.MaxValue),
        ["zero height"] = ("height", r => r.Spec.Height = 0),
        ["negative width"] = ("width", r => r.Spec.Width = -32),
        ["huge height"] = ("height", r => r.Spec.Height = 1 << 20),
        ["height not a multiple of the patch"] = ("height", r => r.Spec.Height = 33),
        ["width not the model's"] = ("width", r => r.Spec.Width = 64),
        ["zero steps"] = ("steps", r => r.Spec.Steps = 0),
        ["overlap equal to the window"] = ("window_overlap", r => (r.Spec.WindowLength, r.Spec.WindowOverlap) = (8, 8)),
        ["overlap beyond the window"] = ("window_overlap", r => (r.Spec.WindowLength, r.Spec.WindowOverlap) = (8, 12)),
        ["window longer than the model sees"] = ("window_length", r => r.Spec.WindowLength = 10_000),
        ["plan that does not parse"] = ("plan", r => r.Spec.Plan = "steps one to four, twice"),
        ["plan past the last step"] = ("plan", r => (r.Spec.Steps, r.Spec.Plan) = (3, "2-9:1")),
        ["NaN guidance"] = ("guidance", r => r.Spec.Guidance = double.NaN),
        ["negative guidance"] = ("guidance", r => r.Spec.Guidance = -1),
        ["negative tau"] = ("tau", r => r.Spec.Tau = -0.5),
        ["unknown model"] = ("model", r => r.Spec.Model = "wan2.2-does-not-exist"),
        ["unknown join"] = ("join", r => r.Spec.Join = (WindowJoin)42),
        ["zero checkpoint interval"] = ("checkpoint_every", r => r.Spec.CheckpointEvery = 0),
        ["absolute output path"] = ("output", r => r.Spec.Output = $"/tmp/loom-e2e-attack-{Guid.NewGuid():N}/video.safetensors"),
        ["absolute output path under /proc"] = ("output", r => r.Spec.Output = "/proc/loom-e2e/video.safetensors"),
        ["output climbing out with .."] = ("output", r => r.Spec.Output = "../escape.safetensors"),
        ["output climbing out in the middle"] = ("output", r => r.Spec.Output = "a/../../escape.safetensors"),
        ["output of a dot part"] = ("output", r => r.Spec.Output = "./video.safetensors"),
        ["output with an empty part"] = ("output", r => r.Spec.Output = "a//video.safetensors"),
        ["output ending in a slash"] = ("output", r => r.Spec.Output = "folder/"),
        ["output with a NUL"] = ("output", r => r.Spec.Output = "video\0.safetensors"),
        ["output with a newline"] = ("output", r => r.Spec.Output = "video\n.safetensors"),
        ["output with a backslash"] = ("output", r => r.Spec.Output = "..\\escape.safetensors"),
        ["output name of 256 bytes"] = ("output", r => r.Spec.Output = new string('n', 256)),
        ["output name of 128 two-byte characters"] = ("output", r => r.Spec.Output = new string('\u00e9', 128)),
        ["output over 1024 bytes"] = ("output", r => r.Spec.Output = string.Join('/', Enumerable.Repeat(new string('d', 200), 6))),
        ["infinite tau"] = ("tau", r => r.Spec.Tau = double.PositiveInfinity),
        ["minus infinite tau"] = ("tau", r => r.Spec.Tau = double.NegativeInfinity),
        ["NaN tau"] = ("tau", r => r.Spec.Tau = double.NaN),
        ["infinite shift"] = ("shift", r => r.Spec.Shift = double.PositiveInfinity),
        ["zero shift"] = ("shift", r => r.Spec.Shift = 0),
        ["infinite guidance"] = ("guidance", r => r.Spec.Guidance = double.PositiveInfinity),
        ["guidance over the limit"] = ("guidance", r => r.Spec.Guidance = 51),
        ["priority int.MinValue"] = ("priority", r => r.Spec.Priority = int.MinValue),
        ["priority int.MaxValue"] = ("priority", r => r.Spec.Priority = int.MaxValue),
        ["priority just over the bound"] = ("priority", r => r.Spec.Priority = 1001),
        ["priority just under the bound"] = ("priority", r => r.Spec.Priority = -1001),
        ["steps over the limit"] = ("steps", r => r.Spec.Steps = 1001),
        ["frames over the limit"] = ("frames", r => r.Spec.Frames = 4097),
        ["zero window length"] = ("window_length", r => r.Spec.WindowLength = 0),
        ["negative window overlap"] = ("window_overlap", r => r.Spec.WindowOverlap = -1),
        ["negative checkpoint interval"] = ("checkpoint_every", r => r.Spec.CheckpointEvery = -3),
        ["unknown blend"] = ("blend", r => r.Spec.Blend = (WindowBlend)9),
        ["unknown wire precision"] = ("wire", r => r.Spec.Wire = (WirePrecision)7),
        ["empty model"] = ("model", r => r.Spec.Model = ""),
        ["plan with too many iterations"] = ("plan", r => r.Spec.Plan = "1:9"),
        ["job id with a trailing newline"] = ("job_id", r => r.JobId = "job-newline\n"),
        ["job id ."] = ("job_id", r => r.JobId = "."),
        ["job id .."] = ("job_id", r => r.JobId = ".."),
        ["job id with a NUL"] = ("job_id", r => r.JobId = "job\0nul"),
        ["job id with an escape sequence"] = ("job_id", r => r.JobId = "job\u001b[31mred"),
        ["job id with a slash"] = ("job_id", r => r.JobId = "../state/job"),
        ["job id of the key form"] = ("job_id", r => r.JobId = "key-" + new string('a', 40)),
        ["prompt over the byte limit"] = ("prompt", r => r.Spec.Prompt = new string('x', 5000)),
        ["prompt to a model without text"] = ("prompt", r => r.Spec.Prompt = "a red ball bounces twice"),
        ["conditioning of zero frames"] = ("conditioning", r => r.Spec.Conditioning = new Conditioning { Count = 0 }),
        ["conditioning of more frames than the video"] = ("conditioning", r => r.Spec.Conditioning = Frames(20, 20)),
        ["conditioning with too few bytes"] = ("conditioning", r => r.Spec.Conditioning = new Conditioning { Count = 2, Rgb = ByteString.CopyFrom(new byte[100]) }),
        ["conditioning over the byte limit"] = ("conditioning", r => r.Spec.Conditioning = new Conditioning { Count = 1, Rgb = ByteString.CopyFrom(new byte[(4 << 20) + 3]) }),
        ["job id with spaces"] = ("job_id", r => r.JobId = "my job"),
        ["job id too long"] = ("job_id", r => r.JobId = new string('j', 129)),
        ["idempotency key too long"] = ("idempotency_key", r => r.IdempotencyKey = new string('k', 300)),
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_field_is_refused_by_name_and_nothing_is_accepted(string name, string field)
    {
        int before = await Requests.CountAsync(silo.Jobs);
        var request = new SubmitJobRequest { JobId = $"refused-{Guid.NewGuid():N}", Spec = Requests.Small(seed: 7) };
        Cases[name].Break(request);

        RpcException refused = await Requests.FailsAsync(() => silo.Jobs.SubmitJobAsync(request, SiloFixture.Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith($"{field}: ", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(field, refused.Trailers.GetValue("loom-field"));
        Assert.Equal(before, await Requests.CountAsync(silo.Jobs));
        if (field != "job_id")
        {
            RpcException missing = await Requests.FailsAsync(() => silo.Jobs.GetJobAsync(new GetJobRequest { JobId = request.JobId }, SiloFixture.Deadline()).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        }
    }

    /// <summary>How many bad requests the corpus holds (the README's "cases tried").</summary>
    public static int CaseCount => Cases.Count;

    [Fact]
    public async Task A_refused_output_creates_nothing_on_the_silo()
    {
        string outside = Path.Combine(Path.GetTempPath(), $"loom-e2e-outside-{Guid.NewGuid():N}");
        string[] inside = Directory.GetFileSystemEntries(silo.OutputDirectory, "*", SearchOption.AllDirectories);
        foreach (string output in new[] { Path.Combine(outside, "deep", "video.safetensors"), "../" + Path.GetFileName(outside) + "/video.safetensors" })
        {
            var request = new SubmitJobRequest { Spec = Requests.Small(seed: 8) };
            request.Spec.Output = output;

            RpcException refused = await Requests.FailsAsync(() => silo.Jobs.SubmitJobAsync(request, SiloFixture.Deadline()).ResponseAsync);

            Assert.Equal("output", refused.Trailers.GetValue("loom-field"));
        }
        Assert.False(Directory.Exists(outside), $"{outside} was created by a refused submit");
        Assert.Equal(inside, Directory.GetFileSystemEntries(silo.OutputDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_relative_output_lands_under_the_output_directory()
    {
        string name = $"nested-{Guid.NewGuid():N}/deeper/video.safetensors";
        var request = new SubmitJobRequest { Spec = Requests.Small(seed: 9) };
        request.Spec.Output = name;

        Job job = await silo.Jobs.SubmitJobAsync(request, SiloFixture.Deadline());
        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, job.JobId);

        Assert.Equal(JobEventKind.Completed, events[^1].Kind);
        string expected = Path.Combine(silo.OutputDirectory, name);
        Assert.Equal(expected, events[^1].Job.OutputPath);
        Assert.Equal(events[^1].Job.ResultBytes, new FileInfo(expected).Length);
    }

    [Fact]
    public async Task A_symbolic_link_planted_in_the_output_directory_is_not_followed()
    {
        string target = Directory.CreateTempSubdirectory("loom-e2e-link-target-").FullName;
        string link = $"link-{Guid.NewGuid():N}";
        Directory.CreateSymbolicLink(Path.Combine(silo.OutputDirectory, link), target);
        try
        {
            var request = new SubmitJobRequest { Spec = Requests.Small(seed: 10) };
            request.Spec.Output = $"{link}/video.safetensors";

            Job job = await silo.Jobs.SubmitJobAsync(request, SiloFixture.Deadline());
            List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, job.JobId);

            Assert.Equal(JobEventKind.Failed, events[^1].Kind);
            Assert.Contains("symbolic link", events[^1].Job.Error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(target));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public async Task A_refused_resubmit_leaves_the_accepted_job_as_it_was()
    {
        string jobId = $"kept-{Guid.NewGuid():N}";
        Job accepted = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = jobId, Spec = Requests.Small(seed: 11) }, SiloFixture.Deadline());
        int before = await Requests.CountAsync(silo.Jobs);

        var bad = new SubmitJobRequest { JobId = jobId, Spec = Requests.Small(seed: 11) };
        bad.Spec.Frames = 0;
        RpcException refused = await Requests.FailsAsync(() => silo.Jobs.SubmitJobAsync(bad, SiloFixture.Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("job_id", refused.Trailers.GetValue("loom-field"));
        List<JobEvent> events = await Requests.WatchAllAsync(silo.Jobs, jobId);
        Assert.Equal(JobEventKind.Completed, events[^1].Kind);
        Assert.Equal(accepted.Spec, events[^1].Job.Spec);
        Assert.Equal(before, await Requests.CountAsync(silo.Jobs));
    }

    [Fact]
    public async Task Unset_fields_take_the_defaults_and_the_model_size()
    {
        Job job = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = new JobSpec { Steps = 1, Plan = "none", Frames = 4, WindowLength = 4, WindowOverlap = 0 } }, SiloFixture.Deadline());

        Assert.Equal("physics", job.Spec.Model);
        Assert.Equal((32, 32), (job.Spec.Height, job.Spec.Width));
        Assert.Equal(1.0, job.Spec.Guidance);
        Assert.Equal(WindowJoin.CoDenoise, job.Spec.Join);
        Assert.Equal(WindowBlend.Linear, job.Spec.Blend);
        Assert.True(job.Spec.Exact);
        Assert.Equal(1, job.StepsTotal);
        Assert.Matches("^job-[0-9]{8}-[0-9]{6}-[0-9a-f]{12}$", job.JobId);
        await Requests.WatchAllAsync(silo.Jobs, job.JobId);
    }

    private static Conditioning Frames(int count, int frames) => new() { Count = count, Rgb = ByteString.CopyFrom(new byte[frames * 32 * 32 * 3]) };
}
