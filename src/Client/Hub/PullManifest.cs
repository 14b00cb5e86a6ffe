using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loom.Client.Hub;

/// <summary>
/// <c>.loom-pull.json</c> in a pulled folder: where it came from (endpoint, repository, revision, commit) and each file's
/// size and hub checksums, so a later pull skips what is verified and <c>loom models verify --sha256</c> can check.
/// </summary>
internal sealed record PullManifest(
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("repo")] string Repo,
    [property: JsonPropertyName("revision")] string Revision,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("files")] IReadOnlyList<PullManifest.Entry> Files)
{
    public const string FileName = ".loom-pull.json";

    private static readonly JsonSerializerOptions _options = new() { WriteIndented = true };

    /// <summary>One verified file.</summary>
    public sealed record Entry(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("sha256")] string? Sha256,
        [property: JsonPropertyName("blob_id")] string? BlobId);

    /// <summary>The manifest of <paramref name="directory"/>, or null when it has none (or an unreadable one).</summary>
    public static PullManifest? Read(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<PullManifest>(File.ReadAllBytes(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string directory)
        => File.WriteAllBytes(System.IO.Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, _options));
}
