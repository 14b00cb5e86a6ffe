using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Client.Batch;

/// <summary>
/// <c>index.jsonl</c> in a batch's output folder: one JSON object a line per item as it finishes (item id, manifest line,
/// status, job id, seed, prompt, output path, SHA-256, NFE, timings, error), flushed line by line so a run cut short
/// leaves every finished item listed. Each run writes it anew (items already there are listed as skipped).
/// </summary>
internal sealed class BatchIndex : IDisposable
{
    /// <summary>The file's name in the output folder.</summary>
    public const string FileName = "index.jsonl";

    private static readonly JsonSerializerOptions _compact = new() { WriteIndented = false };
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public BatchIndex(string folder) => _writer = new StreamWriter(Path.Combine(folder, FileName), append: false);

    /// <summary>Appends the line of one finished item; <paramref name="sidecar"/> (when it has one) gives its record.</summary>
    public void Add(BatchItemOutcome outcome, JsonObject? sidecar)
    {
        var line = new JsonObject
        {
            ["id"] = outcome.Item.Id,
            ["line"] = outcome.Item.Line,
            ["status"] = outcome.Status.ToString().ToLowerInvariant(),
            ["job_id"] = outcome.JobId,
            ["seed"] = sidecar?["seed"]?.DeepClone() ?? (outcome.Item.Spec.HasSeed ? outcome.Item.Spec.Seed : null),
            ["prompt"] = outcome.Item.Spec.HasPrompt ? outcome.Item.Spec.Prompt : sidecar?["spec"]?["prompt"]?.DeepClone(),
            ["output"] = outcome.Output,
            ["sha256"] = sidecar?["output"]?["sha256"]?.DeepClone(),
            ["nfe"] = sidecar?["nfe"]?["evaluations"]?.DeepClone() ?? outcome.Evaluations,
            ["queued_seconds"] = sidecar?["timings"]?["queued_seconds"]?.DeepClone(),
            ["sampling_seconds"] = sidecar?["timings"]?["sampling_seconds"]?.DeepClone(),
            ["client_seconds"] = Math.Round(outcome.Seconds, 3),
            ["error"] = outcome.Status is BatchItemStatus.Failed or BatchItemStatus.Invalid ? outcome.Message : null,
        };
        lock (_lock)
        {
            _writer.WriteLine(line.ToJsonString(_compact));
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();
}
