using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Loom.Grains.Storage;

namespace Loom.Silo;

/// <summary>
/// Result files in an S3-compatible object store: one object per job, <c>{prefix}{jobId}.safetensors</c>. A result is
/// written whole by one job loop, so plain PUT and GET suffice; what is read back is checked against the SHA-256 the
/// job recorded (by the download, not here), so a damaged object is never served.
/// </summary>
public sealed class S3ResultStore(IAmazonS3 s3, string bucket, string prefix) : IResultStore, IDisposable
{
    /// <summary>A client for <paramref name="options"/> (path-style, the SDK's trailing checksums off: many S3-compatible stores refuse them).</summary>
    public static S3ResultStore Create(LoomS3Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }
        AmazonS3Client client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        return new S3ResultStore(client, options.Bucket, options.Prefix);
    }

    /// <summary>The object key of <paramref name="jobId"/>'s result.</summary>
    public string KeyOf(string jobId) => $"{prefix}{FileGrainStorage.SafeName(jobId)}.safetensors";

    /// <inheritdoc />
    public async Task SaveAsync(string jobId, byte[] result, CancellationToken cancellationToken = default)
    {
        using var body = new MemoryStream(result, writable: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = KeyOf(jobId),
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<byte[]?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            using GetObjectResponse response = await s3.GetObjectAsync(bucket, KeyOf(jobId), cancellationToken).ConfigureAwait(false);
            using var bytes = new MemoryStream(response.ContentLength > 0 ? (int)Math.Min(response.ContentLength, int.MaxValue) : 0);
            await response.ResponseStream.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes.ToArray();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        string key = KeyOf(jobId);
        try
        {
            await s3.GetObjectMetadataAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await s3.DeleteObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => s3.Dispose();
}
