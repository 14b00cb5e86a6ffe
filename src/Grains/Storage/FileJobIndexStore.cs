using System.Security.Cryptography;
using System.Text;
using Loom.Contracts.Jobs;

namespace Loom.Grains.Storage;

/// <summary>
/// The job index as files (embedded mode): <c>jobs/&lt;id&gt;.json</c> per entry and <c>keys/&lt;sha-256&gt;</c> per idempotency
/// key (its content the job id then the key), each written atomically on its own. The index grain is the only writer.
/// </summary>
public sealed class FileJobIndexStore(string directory, StorageHealth? health = null) : IJobIndexStore
{
    private string Jobs => Path.Combine(directory, "jobs");

    private string Keys => Path.Combine(directory, "keys");

    /// <inheritdoc />
    public async Task<JobIndexContents> LoadAsync(CancellationToken cancellationToken = default)
    {
        var jobs = new List<JobIndexEntry>();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new List<string>();
        foreach (string path in Files(Jobs, "*.json"))
        {
            try
            {
                jobs.Add(JobIndexRecords.Read(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)));
            }
            catch (InvalidDataException e)
            {
                unreadable.Add($"{path}: {e.Message}");
            }
        }
        foreach (string path in Files(Keys, "*.key"))
        {
            string[] lines = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Split('\n', 2);
            if (lines.Length == 2 && lines[0].Length > 0 && Path.GetFileNameWithoutExtension(path) == Hash(lines[1]))
            {
                keys[lines[1]] = lines[0];
            }
            else
            {
                unreadable.Add($"{path}: not an idempotency key record");
            }
        }
        return new JobIndexContents(jobs, keys, unreadable);
    }

    /// <inheritdoc />
    public Task SaveAsync(JobIndexEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return StorageWrites.WriteAsync(JobPath(entry.JobId), JobIndexRecords.Write(entry), $"the job index entry of job {entry.JobId}", health, cancellationToken);
    }

    /// <inheritdoc />
    public Task RemoveAsync(string jobId, CancellationToken cancellationToken = default)
    {
        File.Delete(JobPath(jobId));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<string> BindKeyAsync(string key, string jobId, CancellationToken cancellationToken = default)
    {
        string path = KeyPath(key);
        if (File.Exists(path))
        {
            string[] lines = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Split('\n', 2);
            if (lines.Length == 2 && lines[1] == key && lines[0].Length > 0)
            {
                return lines[0];
            }
        }
        await StorageWrites.WriteAsync(path, Encoding.UTF8.GetBytes($"{jobId}\n{key}"), "an idempotency key of the job index", health, cancellationToken).ConfigureAwait(false);
        return jobId;
    }

    /// <inheritdoc />
    public Task UnbindKeyAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(KeyPath(key));
        return Task.CompletedTask;
    }

    private string JobPath(string jobId) => Path.Combine(Jobs, FileGrainStorage.SafeName(jobId) + ".json");

    private string KeyPath(string key) => Path.Combine(Keys, Hash(key) + ".key");

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    private static IEnumerable<string> Files(string folder, string pattern) => Directory.Exists(folder) ? Directory.EnumerateFiles(folder, pattern) : [];
}
