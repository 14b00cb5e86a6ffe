using System.CommandLine;
using Loom.Client.Cli;

namespace Loom.Client.Commands;

/// <summary><c>loom status &lt;id&gt;</c>: one job as it is now.</summary>
internal sealed class StatusCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id." };

    public StatusCommand(GlobalOptions globals)
        : base("status", "Show one job (needs --server).")
    {
        Arguments.Add(_id);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            var job = await connection.Client.GetAsync(parse.GetValue(_id)!, cancellationToken);
            JobView.Print(terminal, job, connection.Server);
            return JobView.ExitCodeOf(job);
        });
    }
}
