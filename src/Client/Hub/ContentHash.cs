using System.Security.Cryptography;
using System.Text;

namespace Loom.Client.Hub;

/// <summary>
/// The checksum the hub publishes for a file, computed as the bytes arrive: the LFS sha256 of an LFS file, else the
/// git blob id (sha1 over <c>"blob {size}\0"</c> and the content) of a file kept in git.
/// </summary>
internal sealed class ContentHash : IDisposable
{
    private readonly IncrementalHash _hash;

    private ContentHash(IncrementalHash hash, string name, string expected)
    {
        _hash = hash;
        Name = name;
        Expected = expected.ToLowerInvariant();
    }

    /// <summary><c>sha256</c> or <c>git blob sha1</c>.</summary>
    public string Name { get; }

    /// <summary>What the hub says the checksum is.</summary>
    public string Expected { get; }

    /// <summary>The checksum to compute for <paramref name="file"/>, or null when the listing gives none.</summary>
    public static ContentHash? For(HubFile file)
    {
        if (file.Sha256 is { Length: 64 } sha256)
        {
            return new ContentHash(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), "sha256", sha256);
        }
        if (file.BlobId is { Length: 40 } blob && file.Size is long size)
        {
            // Git's object id of a blob: "blob <size>\0" and the bytes (SHA-1 by necessity: it is git's id, not our choice).
#pragma warning disable CA5350
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
            hash.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
            return new ContentHash(hash, "git blob sha1", blob);
        }
        return null;
    }

    public void Append(ReadOnlySpan<byte> bytes) => _hash.AppendData(bytes);

    /// <summary>Feeds the whole of <paramref name="path"/> (what an earlier transfer left) into the checksum.</summary>
    public async Task AppendFileAsync(string path, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1 << 20];
        await using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            _hash.AppendData(buffer, 0, read);
        }
    }

    /// <summary>The checksum of what was fed in (lower-case hex).</summary>
    public string Actual() => Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();

    public void Dispose() => _hash.Dispose();
}
