using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Loom.Client.Cli;
using Loom.Protos.V1;
using Spectre.Console;

namespace Loom.Client.Commands;

/// <summary><c>loom cluster</c>: silos, shards, models and the admission queue.</summary>
internal sealed class ClusterCommand : Command
{
    private static readonly JsonFormatter _formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));

    public ClusterCommand(GlobalOptions globals)
        : base("cluster", "Show the cluster: silos, shards, models, queue (needs --server).")
    {
        CommandAction.Bind(this, globals, async (parse, terminal, cancellationToken) =>
        {
            await using Connection connection = Connection.Remote(parse, globals, Name);
            ClusterStatus status = await connection.Client.GetClusterStatusAsync(cancellationToken);
            if (terminal.Json)
            {
                terminal.WriteJson(JsonNode.Parse(_formatter.Format(status))!);
                return ExitCodes.Ok;
            }
            var silos = new Table().Title("silos").Border(TableBorder.Rounded).AddColumns("name", "address", "status");
            foreach (SiloInfo silo in status.Silos)
            {
                silos.AddRow(Markup.Escape(silo.Name), Markup.Escape(silo.Address), Markup.Escape(silo.Status));
            }
            var shards = new Table().Title("shards").Border(TableBorder.Rounded).AddColumns("shard", "silo", "device", "name", "memory free", "models", "queue", "latency ms", "completed", "busy s");
            foreach (ShardStatus shard in status.Shards)
            {
                shards.AddRow(
                    Markup.Escape(shard.ShardId), Markup.Escape(shard.Silo), Markup.Escape(shard.Device), Markup.Escape(shard.DeviceName), Memory(shard.MemoryFreeBytes, shard.MemoryTotalBytes),
                    Markup.Escape(Models(shard)),
                    shard.QueueDepth.ToString(CultureInfo.InvariantCulture), (shard.LatencySeconds * 1000).ToString("0.0", CultureInfo.InvariantCulture),
                    shard.Completed.ToString(CultureInfo.InvariantCulture), shard.BusySeconds.ToString("0.0", CultureInfo.InvariantCulture));
            }
            var models = new Table().Title("models").Border(TableBorder.Rounded).AddColumns("model", "size", "patch", "max window", "sha256");
            foreach (ModelInfo model in status.Models)
            {
                models.AddRow(Markup.Escape(model.Name), $"{model.Width}x{model.Height}", model.Patch.ToString(CultureInfo.InvariantCulture), model.MaxWindow.ToString(CultureInfo.InvariantCulture), Markup.Escape(model.Sha256));
            }
            AnsiConsole.Write(silos);
            AnsiConsole.Write(shards);
            AnsiConsole.Write(models);
            QueueStatus queue = status.Queue ?? new QueueStatus();
            terminal.Line($"queue: {queue.Waiting} waiting, {queue.Running} running, {queue.Admitted} admitted{(queue.Paused ? ", paused" : "")}");
            return ExitCodes.Ok;
        });
    }

    /// <summary>The models a shard holds, those held by expert with their experts: <c>wan-a14b[low_noise]</c>.</summary>
    private static string Models(ShardStatus shard) => string.Join(",", shard.Models.Select(m =>
    {
        string[] experts = shard.Experts.Where(e => e.StartsWith(m + "/", StringComparison.Ordinal)).Select(e => e[(m.Length + 1)..]).ToArray();
        return experts.Length == 0 ? m : $"{m}[{string.Join("+", experts)}]";
    }));

    /// <summary>"12.3 of 139.8 GiB"; "?" where the silo did not know (or predates the report: proto's 0).</summary>
    private static string Memory(long free, long total) => free < 0 || total <= 0
        ? "?"
        : $"{(free / 1073741824.0).ToString("0.0", CultureInfo.InvariantCulture)} of {(total / 1073741824.0).ToString("0.0", CultureInfo.InvariantCulture)} GiB";
}
