using System.CommandLine;
using Loom.Client.Cli;
using Loom.Client.Progress;
using Loom.Protos.V1;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom watch &lt;id&gt;</c>: live progress of a job until it ends. Ctrl-C stops watching and leaves the job running.
/// Exits 0 when it completed, 1 when it failed or was cancelled.
/// </summary>
internal sealed class WatchCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id." };

    public WatchCommand(GlobalOptions globals)
        : base("watch", "Follow a job's progress until it ends (needs --server).")
    {
        Arguments.Add(_id);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            string id = parse.GetValue(_id)!;
            Job job = await JobDisplay.RunAsync(terminal, showWindows: true, reporter => JobFollower.FollowAsync(connection.Client, id, id, reporter, cancellationToken));
            JobView.Print(terminal, job, connection.Server);
            return JobView.ExitCodeOf(job);
        });
    }
}
