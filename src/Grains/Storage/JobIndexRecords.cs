using System.Text.Json;
using System.Text.Json.Serialization;
using Loom.Contracts.Jobs;

namespace Loom.Grains.Storage;

/// <summary>The job index's records as the stores write them: one JSON object per entry, phases by name.</summary>
public static class JobIndexRecords
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The record of <paramref name="entry"/>.</summary>
    public static byte[] Write(JobIndexEntry entry) => JsonSerializer.SerializeToUtf8Bytes(entry, Json);

    /// <summary>The entry <paramref name="record"/> holds.</summary>
    /// <exception cref="InvalidDataException">It is not one (truncated, overwritten, no job id).</exception>
    public static JobIndexEntry Read(ReadOnlySpan<byte> record)
    {
        try
        {
            JobIndexEntry? entry = JsonSerializer.Deserialize<JobIndexEntry>(record, Json);
            return entry is { JobId.Length: > 0, Model: not null } ? entry : throw new InvalidDataException("not a job index entry");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a job index entry: {e.Message}", e);
        }
    }
}
