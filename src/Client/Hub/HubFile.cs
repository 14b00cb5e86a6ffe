namespace Loom.Client.Hub;

/// <summary>One file of a hub repository as its listing (<c>?blobs=true</c>) describes it.</summary>
/// <param name="Path">Path in the repository, '/' separated (the listing's <c>rfilename</c>).</param>
/// <param name="Size">Size in bytes (the LFS size for LFS files), when listed.</param>
/// <param name="Sha256">The LFS object id (sha256 of the content) of an LFS file; null for files kept in git.</param>
/// <param name="BlobId">The git blob id (sha1 of <c>"blob {size}\0"</c> + content), which checks a file kept in git.</param>
internal sealed record HubFile(string Path, long? Size, string? Sha256, string? BlobId);
