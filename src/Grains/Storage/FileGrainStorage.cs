using System.Security.Cryptography;
using System.Text;
using Loom.Contracts.Storage;
using Orleans.Storage;

namespace Loom.Grains.Storage;

/// <summary>
/// Grain state as files, one per grain, written atomically (embedded mode: survives a silo restart with no external
/// service; silos on one machine may share the folder). The ETag is a hash of the stored bytes, so a write based on
/// a stale read is refused, as Orleans storage providers must.
/// A state that cannot be deserialized is a <see cref="CorruptStateException"/>; a write that finds the disk full is a
/// <see cref="StorageFullException"/> and leaves no temporary file behind.
/// </summary>
public sealed class FileGrainStorage(string directory, IGrainStorageSerializer serializer, StorageHealth? health = null) : IGrainStorage
{
    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        byte[] bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        try
        {
            grainState.State = serializer.Deserialize<T>(bytes);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CorruptStateException($"the stored state of {grainId} ({stateName})", e);
        }
        grainState.ETag = ETag(bytes);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        CheckETag(path, grainState.ETag);
        byte[] bytes = serializer.Serialize(grainState.State).ToArray();
        await StorageWrites.WriteAsync(path, bytes, $"the state of {grainId}", health).ConfigureAwait(false);
        grainState.ETag = ETag(bytes);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        CheckETag(path, grainState.ETag);
        File.Delete(path);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }

    /// <summary>A file-name-safe form of any id: readable characters kept, plus a short hash so distinct ids never collide.</summary>
    public static string SafeName(string id)
    {
        string readable = new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(80).ToArray());
        return $"{readable}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..12].ToLowerInvariant()}";
    }

    private void CheckETag(string path, string? expected)
    {
        string? actual = File.Exists(path) ? ETag(File.ReadAllBytes(path)) : null;
        if (actual != expected)
        {
            throw new InconsistentStateException($"state of {path} changed since it was read.", actual ?? "", expected ?? "");
        }
    }

    private string PathOf(string stateName, GrainId grainId) => Path.Combine(directory, SafeName(stateName), SafeName(grainId.ToString()) + ".state");

    private static string ETag(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes))[..16];
}
