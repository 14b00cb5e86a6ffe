using System.CommandLine;
using Loom.Client.Cli;

namespace Loom.Client.Commands;

/// <summary><c>loom cancel &lt;id&gt;</c>: cancels a job; one already final is shown unchanged.</summary>
internal sealed class CancelCommand : Command
{
    private readonly Argument<string> _id = new("id") { Description = "Job id." };
    private readonly Option<string> _reason = new("--reason") { Description = "Why, recorded with the job.", DefaultValueFactory = _ => "cancelled from loom" };

    public CancelCommand(GlobalOptions globals)
        : base("cancel", "Cancel a job (needs --server).")
    {
        Arguments.Add(_id);
        Options.Add(_reason);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            var job = await connection.Client.CancelAsync(parse.GetValue(_id)!, parse.GetValue(_reason)!, cancellationToken);
            JobView.Print(terminal, job, connection.Server);
            return ExitCodes.Ok;
        });
    }
}
