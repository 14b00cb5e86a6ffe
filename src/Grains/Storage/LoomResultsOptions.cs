namespace Loom.Grains.Storage;

/// <summary>
/// Where completed jobs' result files (the video and its latent) are kept, and for how long (section <c>Loom:Results</c>).
/// Result bytes never go to Redis: Redis keeps state only (membership, grain state, checkpoints).
/// <code>
/// Loom:Results:Store      files | s3 (default files)
/// Loom:Results:Directory  files: the folder (default {Loom:DataDirectory}/results; in cluster mode a volume every silo mounts)
/// Loom:Results:Retention  how long a finished job is kept (default 7.00:00:00; 0: for ever)
/// Loom:Results:S3:*       s3: see <see cref="LoomS3Options"/>
/// </code>
/// </summary>
public sealed class LoomResultsOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Loom:Results";

    /// <summary>Files or an S3-compatible object store.</summary>
    public ResultStoreKind Store { get; set; } = ResultStoreKind.Files;

    /// <summary>Folder of the files store; empty: <c>results</c> under <c>Loom:DataDirectory</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary>
    /// How long a finished job (completed, failed or cancelled) is kept after it finished: then its result, output file,
    /// checkpoint and state are deleted by the silos' retention sweep, as a <c>loom delete</c> would. Zero: kept for ever.
    /// A job reports when it expires (<c>expires_at</c>).
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The object store, when <see cref="Store"/> is <see cref="ResultStoreKind.S3"/>.</summary>
    public LoomS3Options S3 { get; set; } = new();

    /// <summary>When a job that finished at <paramref name="finishedAt"/> expires; null while it runs, or when nothing expires.</summary>
    public DateTimeOffset? ExpiresAt(DateTimeOffset? finishedAt)
        => finishedAt is { } finished && Retention > TimeSpan.Zero ? finished + Retention : null;

    /// <summary>What is wrong with these settings, naming the key; null when nothing is.</summary>
    public string? Problem()
    {
        if (Retention < TimeSpan.Zero)
        {
            return $"{Section}:Retention must be 0 (keep for ever) or more; got {Retention}.";
        }
        if (!Enum.IsDefined(Store))
        {
            return $"{Section}:Store must be files or s3; got {Store}.";
        }
        if (Store != ResultStoreKind.S3)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(S3.Bucket))
        {
            return $"{Section}:S3:Bucket is required when {Section}:Store is s3.";
        }
        if (!string.IsNullOrEmpty(S3.ServiceUrl) && !Uri.TryCreate(S3.ServiceUrl, UriKind.Absolute, out _))
        {
            return $"{Section}:S3:ServiceUrl must be an absolute URL (http://minio:9000); got '{S3.ServiceUrl}'.";
        }
        if (string.IsNullOrEmpty(S3.AccessKey) != string.IsNullOrEmpty(S3.SecretKey))
        {
            return $"{Section}:S3:AccessKey and {Section}:S3:SecretKey go together: give both, or neither (the SDK's default credentials).";
        }
        return null;
    }
}
