namespace Loom.Grains.Storage;

/// <summary>
/// The S3-compatible object store results go to when <c>Loom:Results:Store</c> is <c>s3</c> (section
/// <c>Loom:Results:S3</c>). Keys and secrets are better given as environment variables from a secret
/// (<c>LOOM__RESULTS__S3__ACCESSKEY</c>, <c>LOOM__RESULTS__S3__SECRETKEY</c>) than in a file.
/// </summary>
public sealed class LoomS3Options
{
    /// <summary>
    /// Endpoint of a store other than AWS (<c>http://minio:9000</c>); empty: AWS S3 in <see cref="Region"/>.
    /// </summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>The bucket; it must exist (the silo does not create it). Required.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>Prefix of every object key (<c>{Prefix}{jobId}.safetensors</c>), so several pools can share a bucket.</summary>
    public string Prefix { get; set; } = "loom/results/";

    /// <summary>Region the requests are signed for (AWS: the bucket's region; most other stores accept the default).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Access key id; empty (with <see cref="SecretKey"/>): the SDK's default chain (environment, web identity, instance role).</summary>
    public string AccessKey { get; set; } = "";

    /// <summary>Secret access key, with <see cref="AccessKey"/>.</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>Path-style addresses (<c>{ServiceUrl}/{bucket}/{key}</c>) instead of bucket subdomains: MinIO and most self-hosted stores need it.</summary>
    public bool ForcePathStyle { get; set; } = true;
}
