using System.CommandLine;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Client.Progress;
using Loom.Protos.V1;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom watch &lt;id&gt;</c>: live progress of a job until it ends. Ctrl-C stops watching and leaves the job running.
/// Exits 0 when it completed, 1 when it failed or was cancelled. With <c>--download F</c> a completed job's video is
/// written to F with its sidecar, as <c>loom download</c> does.
/// </summary>
internal sealed class WatchCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id." };
    private readonly OutputOptions _output = new(new Option<string>("--download") { Description = "When the job completes, write its video here (.mp4, .gif, .safetensors, or a folder for PNG frames) with a sidecar." });

    public WatchCommand(GlobalOptions globals)
        : base("watch", "Follow a job's progress until it ends (needs --server).")
    {
        Arguments.Add(_id);
        foreach (Option option in _output.All)
        {
            Options.Add(option);
        }
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            OutputTarget? target = _output.TargetOf(parse);
            await using Connection connection = Connection.Remote(parse, globals, Name);
            string id = parse.GetValue(_id)!;
            Job job = await JobDisplay.RunAsync(terminal, showWindows: true, reporter => JobFollower.FollowAsync(connection.Client, id, id, reporter, cancellationToken));
            if (target is not null && job.State == JobState.Completed)
            {
                return await DownloadCommand.WriteAsync(connection, terminal, job, target, cancellationToken);
            }
            JobView.Print(terminal, job, connection.Server);
            return JobView.ExitCodeOf(job);
        });
    }
}
