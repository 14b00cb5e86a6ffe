using System.Text.Json;
using Loom.Models.Weights;

namespace Loom.Models.Wan.Fixtures;

/// <summary>Every reference-file runner; <see cref="For"/> picks the one for a file by its kind.</summary>
public static class WanFixtureRunners
{
    /// <summary>The kind of a <c>tokenizer_cases.json</c> file (a JSON object with <c>models</c>).</summary>
    public const string TokenizerCases = "tokenizer_cases";

    /// <summary>The runners, one per module.</summary>
    public static IReadOnlyList<IWanFixtureRunner> All { get; } =
    [
        new Transformer.WanDiTFixtureRunner(),
        new Vae.WanVaeFixtureRunner(),
        new Loom.Models.Wan.Text.TokenizerCasesRunner(),
        new Loom.Models.Wan.Text.T5FixtureRunner(),
    ];

    /// <summary>The kind of <paramref name="path"/>: its <c>fixture</c> metadata, or <see cref="TokenizerCases"/>.</summary>
    /// <exception cref="InvalidDataException">Neither a golden safetensors file nor a tokenizer-cases file.</exception>
    public static string KindOf(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("models", out _)
                ? TokenizerCases
                : throw new InvalidDataException($"{path}: a JSON file without 'models', so not a tokenizer-cases file.");
        }
        SafeTensorsHeader header = SafeTensorsHeader.Read(path); // the header alone: the runner reads the tensors
        return header.Metadata.TryGetValue("fixture", out string? kind) ? kind
            : throw new InvalidDataException($"{path}: no 'fixture' entry in the safetensors metadata, so not a Wan golden file.");
    }

    /// <summary>The runner for <paramref name="path"/>; the error names the file and its kind.</summary>
    public static IWanFixtureRunner For(string path) => For(path, KindOf(path));

    /// <summary>The runner for <paramref name="path"/> whose kind (<see cref="KindOf"/>) is already known.</summary>
    public static IWanFixtureRunner For(string path, string kind)
        => All.FirstOrDefault(r => r.Kinds.Contains(kind))
            ?? throw new InvalidDataException($"{path}: no runner for fixture kind '{kind}' (known: {string.Join(", ", All.SelectMany(r => r.Kinds))}).");
}
