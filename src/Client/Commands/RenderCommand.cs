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
    private readonly OutputOptions _output = new(new Option<string>("--out", "-o") { Description = "Output: .mp4 (ffmpeg), .gif, .safetensors (latent + video), or a folder for PNG frames.", DefaultValueFactory = _ => "render.mp4" });
    private readonly Option<bool> _compare = new("--compare") { Description = "Render the same seed twice, side by side in one video: left the baseline (plan 'none'), right the given plan (refined)." };
    private readonly Option<bool> _detach = new("--detach") { Description = "Submit, print the job id and exit; fetch the video later with 'loom download ID --out F' or 'loom watch ID --download F'." };
    private readonly Option<bool> _new = new("--new") { Description = "Always a new job; without it the same command (same options, seed and given frames) attaches to the job it made before." };
    private readonly Option<string?> _models = new("--models") { Description = "Embedded mode: folder of model weights (default: the bundled models)." };
    private readonly Option<string?> _image = new("--image") { Description = "Image-to-video: the first frame (PNG, JPEG, ...); the video takes its size unless --size says otherwise, and then they must agree." };

    public RenderCommand(GlobalOptions globals)
        : base("render", "Render a video and write it with a JSON sidecar.")
    {
        _globals = globals;
        foreach (Option option in _job.All.Concat(_output.All).Concat([_given, _scene, _compare, _detach, _new, _models, _image]))
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
        bool detach = parse.GetValue(_detach);
        OutputTarget target = _output.TargetOf(parse, compare)!;
        if (given.Length > 0 && scene is not null)
        {
            throw new CliException(ExitCodes.Usage, "--given and --scene both give the first frames; pick one.", "given");
        }
        SpecPrecheck.Check(request, given, embedded: parse.GetValue(_globals.Server) is null);
        if (detach && parse.GetValue(_globals.Server) is null)
        {
            throw new CliException(ExitCodes.Usage, "--detach needs --server: an embedded silo ends with this command, and its job with it.", "detach");
        }

        string? modelDirectory = parse.GetValue(_models);
        if (request.HasModel && parse.GetValue(_globals.Server) is null && Directory.Exists(request.Model))
        {
            // A model folder on this machine: the embedded silo serves the folder it is in, and the job names it.
            string folder = Path.GetFullPath(request.Model).TrimEnd(Path.DirectorySeparatorChar);
            modelDirectory ??= Path.GetDirectoryName(folder);
            request.Model = Path.GetFileName(folder);
        }
        if (parse.GetValue(_image) is string image)
        {
            RenderImage.Attach(request, image);
        }
        await using Connection connection = await Connection.OpenAsync(parse, _globals, modelDirectory, terminal.Line, cancellationToken);
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
        bool fresh = parse.GetValue(_new);
        var jobs = new List<Job>();
        foreach (var run in runs)
        {
            jobs.Add(await RenderKeys.SubmitAsync(client, run.Spec, fresh, cancellationToken));
        }
        if (detach)
        {
            foreach (var (job, i) in jobs.Select((j, i) => (j, i)))
            {
                if (terminal.Json)
                {
                    terminal.WriteJson(new JsonObject { ["event"] = "submitted", ["job_id"] = job.JobId, ["label"] = runs[i].Label, ["state"] = Sidecar.StateName(job.State), ["idempotency_key"] = job.IdempotencyKey });
                }
                else
                {
                    Console.Out.WriteLine(job.JobId);
                }
            }
            return ExitCodes.Ok;
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

        double seconds = clock.Elapsed.TotalSeconds;
        JsonObject sidecar = await JobOutput.WriteAsync(client, connection.Server, target,
            [.. ended.Select((job, i) => new JobOutput.Run(runs[i].Label == "" ? job.JobId : runs[i].Label, job, runs[i].Spec, source))], seconds, cancellationToken);
        JsonNode output = sidecar["output"]!;

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
            if (compare)
            {
                terminal.Line($"left: baseline (plan {ended[0].Spec.Plan}), right: refined (plan {ended[1].Spec.Plan}); same seed {ended[0].Spec.Seed}");
            }
            terminal.Line($"wrote {output["path"]} ({output["frames"]} frames, {output["width"]}x{output["height"]}) and {target.SidecarPath} in {seconds:0.0} s");
        }
        return ExitCodes.Ok;
    }

    private static JobSpec WithPlan(JobSpec spec, string plan)
    {
        JobSpec copy = spec.Clone();
        copy.Plan = plan;
        return copy;
    }
}
