namespace Loom.Grains.Storage;

/// <summary>Where result files are kept (<c>Loom:Results:Store</c>).</summary>
public enum ResultStoreKind
{
    /// <summary>Files in one folder: the silo's data folder in embedded mode, a volume every silo mounts in cluster mode.</summary>
    Files,

    /// <summary>An S3-compatible object store (AWS S3, MinIO, Ceph RGW, ...): one object per result.</summary>
    S3,
}
