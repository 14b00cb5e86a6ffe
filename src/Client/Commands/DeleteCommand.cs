using System.CommandLine;
using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;

namespace Loom.Client.Commands;

/// <summary>
/// <c>loom delete &lt;id&gt;</c>: removes a finished job with its stored result, checkpoint and output file. A queued or
/// running job is refused (exit 1) unless <c>--cancel</c>, which cancels it and then deletes it.
/// </summary>
internal sealed class DeleteCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id." };
    private readonly Option<bool> _cancel = new("--cancel") { Description = "Cancel a queued or running job, then delete it (without it such a job is refused)." };

    public DeleteCommand(GlobalOptions globals)
        : base("delete", "Delete a job with its result, checkpoint and output file (needs --server).")
    {
        Arguments.Add(_id);
        Options.Add(_cancel);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            Job job = await connection.Client.DeleteAsync(parse.GetValue(_id)!, parse.GetValue(_cancel), cancellationToken);
            if (terminal.Json)
            {
                terminal.WriteJson(new JsonObject { ["event"] = "deleted", ["job_id"] = job.JobId, ["state"] = Sidecar.StateName(job.State) });
            }
            else
            {
                terminal.Line($"deleted job {job.JobId} (it was {Sidecar.StateName(job.State)}{(job.State == JobState.Cancelled && job.Error == "deleted" ? " by this delete" : "")})");
            }
            return ExitCodes.Ok;
        });
    }
}
