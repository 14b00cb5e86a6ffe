using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Loom.Client.Api;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Client.Progress;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom render</c>: submits one job (two with <c>--compare</c>), shows its progress, downloads the result and writes
/// the video and its sidecar. Ctrl-C cancels the job on the server. Without <c>--server</c> an embedded silo does the work.
/// </summary>
internal sealed class RenderCommand : Command
{
    private readonly GlobalOptions _globals;
    private readonly JobOptions _job = new();
    private readonly Option<string[]> _given = new("--given") { Description = "Image files given clean as the first frames (each the model's size, e.g. 32x32).", AllowMultipleArgumentsPerToken = true };
    private readonly Option<int?> _scene = new("--scene") { Description = "Continue held-out simulated test scene N: its first 2 frames are given." };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Output: .mp4 (ffmpeg), .gif, .safetensors (latent + video), or a folder for PNG frames.", DefaultValueFactory = _ => "render.mp4" };
    private readonly Option<bool> _png = new("--png") { Description = "Write PNG frames into the --out folder." };
    private readonly Option<int?> _scale = new("--scale") { Description = "Nearest-neighbour upscale for viewing (default 8 for mp4/gif, 1 for PNG)." };
    private readonly Option<int> _fps = new("--fps") { Description = "Frames per second of mp4/gif.", DefaultValueFactory = _ => 8 };
    private readonly Option<bool> _compare = new("--compare") { Description = "Render the same seed twice, plan 'none' and the given plan, side by side in one video." };
    private readonly Option<string?> _models = new("--models") { Description = "Embedded mode: folder of model weights (default: the bundled models)." };

    public RenderCommand(GlobalOptions globals)
        : base("render", "Render a video and write it with a JSON sidecar.")
    {
        _globals = globals;
        foreach (Option option in _job.All.Concat([_given, _scene, _out, _png, _scale, _fps, _compare, _models]))
        {
            Options.Add(option);
        }
        CommandAction.Bind(this, globals, RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, Terminal terminal, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        JobSpec request = _job.SpecFrom(parse);
        string[] given = parse.GetValue(_given) ?? [];
        int? scene = parse.GetValue(_scene);
        bool compare = parse.GetValue(_compare);
        OutputTarget target = Target(parse, compare);
        if (given.Length > 0 && scene is not null)
        {
            throw new CliException(ExitCodes.Usage, "--given and --scene both give the first frames; pick one.", "given");
        }

        await using Connection connection = await Connection.OpenAsync(parse, _globals, parse.GetValue(_models), terminal.Line, cancellationToken);
        LoomClient client = connection.Client;
        string? source = null;
        if (given.Length > 0 || scene is not null)
        {
            ModelInfo model = await ConditioningFrames.ModelAsync(client, request.HasModel ? request.Model : null, cancellationToken);
            request.Conditioning = scene is int n
                ? ConditioningFrames.FromScene(n, model, request.HasFrames ? request.Frames : 16)
                : ConditioningFrames.FromImages(given, model);
            source = scene is int s ? $"test scene {s}" : string.Join(" ", given);
        }

        (string Label, JobSpec Spec)[] runs = compare
            ? [("baseline", WithPlan(request, "none")), ("refined", request)]
            : [("", request)];
        var jobs = new List<Job>();
        foreach (var run in runs)
        {
            jobs.Add(await client.SubmitAsync(run.Spec, idempotencyKey: $"render-{Guid.NewGuid():N}", cancellationToken: cancellationToken));
        }

        Job[] ended;
        try
        {
            ended = await JobDisplay.RunAsync(terminal, showWindows: true, reporter => Task.WhenAll(
                jobs.Select((job, i) => JobFollower.FollowAsync(client, job.JobId, runs[i].Label == "" ? job.JobId : runs[i].Label, reporter, cancellationToken))));
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or Grpc.Core.RpcException)
        {
            foreach (Job job in jobs)
            {
                Job cancelled = await client.CancelAsync(job.JobId, "cancelled from loom (Ctrl-C)", CancellationToken.None);
                terminal.Line($"job {cancelled.JobId}: {Sidecar.StateName(cancelled.State)}");
            }
            throw new CliException(ExitCodes.Cancelled, $"interrupted: cancelled {string.Join(", ", jobs.Select(j => j.JobId))} on the server.");
        }

        if (ended.FirstOrDefault(j => j.State != JobState.Completed) is { } bad)
        {
            throw new CliException(ExitCodes.JobFailed, $"job {bad.JobId} {Sidecar.StateName(bad.State)}: {bad.Error}");
        }

        var results = new List<ResultFile>();
        foreach (Job job in ended)
        {
            results.Add(ResultFile.Parse(await client.DownloadAsync(job.JobId, cancellationToken)));
        }
        FrameVideo video = compare ? FrameVideo.SideBySide(results[0].Video(), results[1].Video(), gap: 1) : results[0].Video();
        JsonObject output = await OutputWriter.WriteAsync(target, video, results[0].Bytes, cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;
        JsonObject sidecar = compare
            ? new JsonObject
            {
                ["compare"] = "left: plan none (baseline); right: the given plan (refined); same seed",
                ["server"] = connection.Server,
                ["baseline"] = Sidecar.Of(ended[0], connection.Server, runs[0].Spec, source, seconds),
                ["refined"] = Sidecar.Of(ended[1], connection.Server, runs[1].Spec, source, seconds),
            }
            : Sidecar.Of(ended[0], connection.Server, request, source, seconds);
        sidecar["output"] = output;
        await SidecarFile.WriteAsync(target.SidecarPath, sidecar, cancellationToken);

        if (terminal.Json)
        {
            var result = new JsonObject { ["event"] = "result", ["sidecar"] = target.SidecarPath };
            foreach (var (key, value) in sidecar)
            {
                result[key] = value?.DeepClone();
            }
            terminal.WriteJson(result);
        }
        else
        {
            foreach (Job job in ended)
            {
                string label = compare ? (job == ended[0] ? "baseline " : "refined  ") : "";
                terminal.Line($"{label}job {job.JobId}: seed {job.Spec.Seed}, plan {job.Spec.Plan}, tau {job.Spec.Tau}, nfe {job.Evaluations} (refine {job.RefineEvaluations}, skipped {job.SkippedEvaluations})");
            }
            terminal.Line($"wrote {output["path"]} ({output["frames"]} frames, {output["width"]}x{output["height"]}) and {target.SidecarPath} in {seconds:0.0} s");
        }
        return ExitCodes.Ok;
    }

    private OutputTarget Target(ParseResult parse, bool compare)
    {
        string path = parse.GetValue(_out)!;
        OutputFormat format;
        try
        {
            format = OutputTarget.FormatOf(path, parse.GetValue(_png));
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, $"--out: {e.Message}", "out");
        }
        if (compare && format == OutputFormat.Safetensors)
        {
            throw new CliException(ExitCodes.Usage, "--out: --compare writes one side-by-side video: use .mp4, .gif or a folder of PNG frames.", "out");
        }
        int scale = parse.GetValue(_scale) ?? OutputTarget.DefaultScale(format);
        int fps = parse.GetValue(_fps);
        if (scale is < 1 or > 64)
        {
            throw new CliException(ExitCodes.Usage, $"--scale: must be in 1..64; got {scale}.", "scale");
        }
        if (fps is < 1 or > 120)
        {
            throw new CliException(ExitCodes.Usage, $"--fps: must be in 1..120; got {fps}.", "fps");
        }
        if (format == OutputFormat.Mp4)
        {
            Mp4Encoder.EnsureAvailable();
        }
        return new OutputTarget(path, format, scale, fps);
    }

    private static JobSpec WithPlan(JobSpec spec, string plan)
    {
        JobSpec copy = spec.Clone();
        copy.Plan = plan;
        return copy;
    }
}
