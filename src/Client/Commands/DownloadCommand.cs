using System.CommandLine;
using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Protos.V1;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom download &lt;id&gt; --out F</c>: writes a completed job's stored result in any format render writes (mp4, gif,
/// PNG frames, safetensors) with its sidecar, from the result the cluster keeps, on any silo.
/// </summary>
internal sealed class DownloadCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id (as render --detach, list or batch print it)." };
    private readonly OutputOptions _output = new(new Option<string>("--out", "-o") { Description = "Output: .mp4 (ffmpeg), .gif, .safetensors (latent + video), or a folder for PNG frames.", Required = true });

    public DownloadCommand(GlobalOptions globals)
        : base("download", "Write a completed job's video (mp4/gif/PNG frames/safetensors) and its sidecar (needs --server).")
    {
        Arguments.Add(_id);
        foreach (Option option in _output.All)
        {
            Options.Add(option);
        }
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            OutputTarget target = _output.TargetOf(parse)!;
            await using Connection connection = Connection.Remote(parse, globals, Name);
            Job job = await connection.Client.GetAsync(parse.GetValue(_id)!, cancellationToken);
            return await WriteAsync(connection, terminal, job, target, cancellationToken);
        });
    }

    /// <summary>Writes <paramref name="job"/>'s result to <paramref name="target"/> and says so; a job that did not complete is exit 1 (running: 4, not there yet).</summary>
    public static async Task<int> WriteAsync(Connection connection, Terminal terminal, Job job, OutputTarget target, CancellationToken cancellationToken)
    {
        if (job.State != JobState.Completed)
        {
            bool final = Progress.JobFollower.IsFinal(job.State);
            throw new CliException(final ? ExitCodes.JobFailed : ExitCodes.NotFound,
                final
                    ? $"job {job.JobId} {Rendering.Sidecar.StateName(job.State)}: {job.Error}; it has no result."
                    : $"job {job.JobId} is {Rendering.Sidecar.StateName(job.State)} (step {job.StepsDone}/{job.StepsTotal}); its result is not there yet: 'loom watch {job.JobId} --download {target.Path}' waits for it.");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonObject sidecar = await JobOutput.WriteAsync(connection.Client, connection.Server, target, [new JobOutput.Run(job.JobId, job, job.Spec, null)], 0, cancellationToken);
        JsonNode output = sidecar["output"]!;
        if (terminal.Json)
        {
            terminal.WriteJson(new JsonObject { ["event"] = "downloaded", ["job_id"] = job.JobId, ["sidecar"] = target.SidecarPath, ["output"] = output.DeepClone() });
        }
        else
        {
            terminal.Line($"wrote {output["path"]} ({output["frames"]} frames, {output["width"]}x{output["height"]}) and {target.SidecarPath} from job {job.JobId} in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        return ExitCodes.Ok;
    }
}
