using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Client.Rendering;

/// <summary>Reads and writes sidecar files (indented JSON, written whole or not at all).</summary>
internal static class SidecarFile
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    public static async Task WriteAsync(string path, JsonObject sidecar, CancellationToken cancellationToken = default)
    {
        string temporary = path + ".partial";
        await File.WriteAllTextAsync(temporary, sidecar.ToJsonString(_indented) + "\n", cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The sidecar at <paramref name="path"/>, or null when there is none or it does not parse.</summary>
    public static JsonObject? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
