using System.CommandLine;
using System.Text.Json.Nodes;
using Loom.Client.Cli;
using Loom.Client.Rendering;
using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary><c>loom list</c>: jobs, newest first, filtered by state and model, one page at a time.</summary>
internal sealed class ListCommand : Command
{
    private static readonly Dictionary<string, JobState> _states = new()
    {
        ["queued"] = JobState.Queued,
        ["running"] = JobState.Running,
        ["completed"] = JobState.Completed,
        ["failed"] = JobState.Failed,
        ["cancelled"] = JobState.Cancelled,
    };

    private readonly Option<string[]> _state = new("--state") { Description = "Only jobs in these states.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<int> _pageSize = new("--page-size") { Description = "Jobs per page (at most 1000).", DefaultValueFactory = _ => 50 };
    private readonly Option<string?> _pageToken = new("--page-token") { Description = "The next_page_token of the previous page." };
    private readonly Option<string?> _model = new("--model") { Description = "Only jobs of this model." };

    public ListCommand(GlobalOptions globals)
        : base("list", "List jobs, newest first (needs --server).")
    {
        _state.AcceptOnlyFromAmong([.. _states.Keys]);
        Options.Add(_state);
        Options.Add(_pageSize);
        Options.Add(_pageToken);
        Options.Add(_model);
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            JobState[] states = [.. (parse.GetValue(_state) ?? []).Select(s => _states[s])];
            ListJobsResponse page = await connection.Client.ListAsync(states, parse.GetValue(_pageSize), parse.GetValue(_pageToken), parse.GetValue(_model), cancellationToken);
            if (terminal.Json)
            {
                terminal.WriteJson(new JsonObject
                {
                    ["total"] = page.Total,
                    ["next_page_token"] = page.NextPageToken,
                    ["jobs"] = new JsonArray([.. page.Jobs.Select(j => (JsonNode)Sidecar.Describe(j, connection.Server))]),
                });
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("job", "state", "model", "steps", "nfe", "submitted");
            foreach (Job job in page.Jobs)
            {
                table.AddRow(
                    Markup.Escape(job.JobId),
                    Sidecar.StateName(job.State),
                    Markup.Escape(job.Spec.Model),
                    $"{job.StepsDone}/{job.StepsTotal}",
                    job.Evaluations.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    job.SubmittedAt?.ToDateTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
            AnsiConsole.Write(table);
            terminal.Line($"{page.Jobs.Count} of {page.Total}{(string.IsNullOrEmpty(page.NextPageToken) ? "" : $"; next page: --page-token {page.NextPageToken}")}");
            return ExitCodes.Ok;
        });
    }
}
