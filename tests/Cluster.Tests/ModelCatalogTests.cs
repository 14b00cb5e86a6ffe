using Loom.Grains;
using Loom.Grains.Shards;
using Loom.Models.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loom.Cluster.Tests;

/// <summary>What a silo says at start about its models folder: each model found, each file or folder skipped and why.</summary>
public sealed class ModelCatalogTests : IDisposable
{
    private readonly string _models = TestModel.Write();

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public void The_catalog_names_what_it_serves_what_it_recognised_and_why_it_skipped_the_rest()
    {
        TinyWanFolder.Official(Path.Combine(_models, "Wan2.1-T2V-1.3B"), "t2v");
        TinyWanFolder.Official(Path.Combine(_models, "Wan2.2-T2V-A14B"), "t2v-a14b", shards: 2);
        File.Delete(Path.Combine(_models, "Wan2.2-T2V-A14B", "Wan2.1_VAE.pth"));
        Directory.CreateDirectory(Path.Combine(_models, "scratch"));
        TinyWanFolder.Write(Path.Combine(_models, "diffusion_pytorch_model.safetensors"), TinyWanFolder.SafeTensors(["patch_embedding.weight"], 8));
        TinyWanFolder.Write(Path.Combine(_models, "other.safetensors"), TinyWanFolder.SafeTensors(["w"], 8));
        File.WriteAllText(Path.Combine(_models, "notes.txt"), "x");
        var log = new ListLogger();

        var catalog = new ModelCatalog(Options.Create(new LoomCatalogOptions { ModelDirectory = _models }), log);

        Assert.Equal(["Wan2.1-T2V-1.3B", "physics"], catalog.Shapes.Keys.Order(StringComparer.Ordinal)); // Wan: any size
        Assert.Equal((0, 16, "wan", "t2v"), (catalog.Shapes["Wan2.1-T2V-1.3B"].Width, catalog.Shapes["Wan2.1-T2V-1.3B"].Patch, catalog.Shapes["Wan2.1-T2V-1.3B"].Family, catalog.Shapes["Wan2.1-T2V-1.3B"].Kind));
        Assert.Equal(["Wan2.1-T2V-1.3B", "physics"], catalog.Models.Keys.Order(StringComparer.Ordinal));
        string Line(string start) => Assert.Single(log.Lines, l => l.Message.StartsWith(start, StringComparison.Ordinal)).Message;
        Assert.Contains("physics world model", Line("Model physics: "));
        Assert.Contains("wan2.1 t2v, official layout", Line("Model Wan2.1-T2V-1.3B: "));
        Assert.EndsWith("Wan2.2-T2V-A14B: Wan2.1_VAE.pth is missing (the VAE).", Line($"Skipped folder {Path.Combine(_models, "Wan2.2-T2V-A14B")}"));
        Assert.Contains("not a Wan model folder", Line($"Skipped folder {Path.Combine(_models, "scratch")}"));
        Assert.Contains("a Wan file on its own", Line($"Skipped {Path.Combine(_models, "diffusion_pytorch_model.safetensors")}"));
        Assert.Contains("no 'loom.config' entry", Line($"Skipped {Path.Combine(_models, "other.safetensors")}"));
        Assert.Equal(LogLevel.Debug, log.Lines.Single(l => l.Message.Contains("notes.txt", StringComparison.Ordinal)).Level);
        Assert.Equal(7, log.Lines.Count);
    }

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class ListLogger : ILogger<ModelCatalog>
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Lines.Add((logLevel, formatter(state, exception)));
    }
}
