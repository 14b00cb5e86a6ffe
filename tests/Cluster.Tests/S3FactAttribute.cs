namespace Loom.Cluster.Tests;

/// <summary>A test that needs <see cref="S3Server"/>: skipped, with the reason, only where node is not installed.</summary>
public sealed class S3FactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when s3rver cannot run here.</summary>
    public S3FactAttribute()
    {
        if (S3Server.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
