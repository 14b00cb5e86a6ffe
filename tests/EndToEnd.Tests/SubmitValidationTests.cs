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
        ["relative output path"] = ("output", r => r.Spec.Output = "relative/video.safetensors"),
        ["unwritable output path"] = ("output", r => r.Spec.Output = "/proc/loom-e2e/video.safetensors"),
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
