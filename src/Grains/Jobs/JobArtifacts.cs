using System.Diagnostics;
using System.Security.Cryptography;
using Loom.Contracts.Jobs;
using Loom.Grains.Routing;
using Loom.Grains.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using static Loom.Grains.Jobs.RenderJobLog;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// A render job's data outside its grain state: latent checkpoints, the stored result and the output file, every
/// store call riding out storage blips with <paramref name="retry"/>. The grain decides when; this knows how.
/// </summary>
/// <param name="jobId">The job.</param>
/// <param name="latents">Where checkpoints go.</param>
/// <param name="results">Where result files go.</param>
/// <param name="retry">The storage retry pipeline.</param>
/// <param name="metrics">Counts corrupt checkpoints.</param>
/// <param name="logger">The job grain's logger.</param>
public sealed class JobArtifacts(string jobId, ILatentStore latents, IResultStore results, ResiliencePipeline retry, LoomMetrics metrics, ILogger logger)
{
    /// <summary>
    /// The job's checkpoint, verified against <paramref name="recipe"/>: a checkpoint whose checksum fails, whose step is
    /// out of range or whose latent has another size is corrupt; it is reported, deleted, and null comes back with
    /// <c>Corrupt</c> set: the job restarts from step 0, which gives the same bits (noise depends only on seed, step and
    /// iteration) at the price of the steps done.
    /// </summary>
    public async Task<(LatentCheckpoint? Checkpoint, bool Corrupt)> LoadCheckpointAsync(JobRecipe recipe, long epoch, CancellationToken cancellationToken)
    {
        try
        {
            LatentCheckpoint? checkpoint = await retry.ExecuteAsync(async t => await latents.LoadAsync(jobId, t), cancellationToken);
            checkpoint?.CheckFits(recipe.Steps, recipe.LatentBytes);
            return (checkpoint, false);
        }
        catch (InvalidDataException e)
        {
            LogCorruptCheckpoint(logger, jobId, e.Message);
            metrics.CorruptData.WithLabels(LoomMetrics.CorruptCheckpoint).Inc();
            await DeleteCheckpointAsync(epoch, cancellationToken);
            return (null, true);
        }
    }

    /// <summary>Saves the latent after <paramref name="stepsDone"/> steps; the store refuses it once a newer epoch wrote.</summary>
    public async Task SaveCheckpointAsync(int stepsDone, byte[] latent, long epoch, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        await retry.ExecuteAsync(async t => await latents.SaveAsync(jobId, new LatentCheckpoint(stepsDone, latent, epoch), t), cancellationToken);
        metrics.Phase(StepPhase.CheckpointWrite, started);
    }

    /// <summary>Deletes the checkpoint, leaving a tombstone at <paramref name="epoch"/> that older loops cannot write past.</summary>
    public Task DeleteCheckpointAsync(long epoch, CancellationToken cancellationToken = default)
        => retry.ExecuteAsync(async t => await latents.DeleteAsync(jobId, epoch, t), cancellationToken).AsTask();

    /// <summary>
    /// Writes the result file of <paramref name="spec"/> to <paramref name="output"/> (off the caller's thread) and
    /// stores a copy; returns the latent's SHA-256, the file's size and its SHA-256.
    /// </summary>
    public async Task<(string LatentSha256, long Bytes, string FileSha256)> SaveResultAsync(
        string outputDirectory, string output, Tensor latent, JobSpec spec, CancellationToken cancellationToken, Func<Tensor, byte[]>? decode = null)
    {
        (string hash, byte[] file) = await Task.Run(() => JobResultFile.Write(outputDirectory, output, latent, spec, decode?.Invoke(latent)), cancellationToken);
        await retry.ExecuteAsync(async t => await results.SaveAsync(jobId, file, t), cancellationToken);
        return (hash, file.Length, Convert.ToHexStringLower(SHA256.HashData(file)));
    }

    /// <summary>Deletes the stored result, the checkpoint (tombstoned at <paramref name="epoch"/>) and the output file.</summary>
    public async Task DeleteAllAsync(long epoch, string? outputPath)
    {
        await retry.ExecuteAsync(async t => await results.DeleteAsync(jobId, t));
        await DeleteCheckpointAsync(epoch);
        if (outputPath is not null && File.Exists(outputPath))
        {
            File.Delete(outputPath);
        }
    }
}
