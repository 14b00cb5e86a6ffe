using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Text;
using Loom.Models.Wan.Transformer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Loom.Grains.Jobs;

/// <summary>
/// The silo's Wan job-side models (<see cref="WanJobModel"/>: text encoder and VAE), loaded on a job's first use and kept
/// for the silo's life, and the one prompt-embedding cache they share: a prompt (or the official negative prompt) a job
/// of this silo encoded before is not encoded again. Settings per model come from <c>Loom:Models:NAME</c>.
/// </summary>
public sealed partial class WanJobModels(IOptions<LoomCatalogOptions> options, ILogger<WanJobModels> logger) : IDisposable
{
    /// <summary>Embedding cache budget: ~180 full-length bfloat16 prompts at UMT5-XXL's width 4096.</summary>
    public const long CacheBytes = 1L << 30;

    private readonly TextEmbeddingCache _cache = new(CacheBytes);
    private readonly Dictionary<string, WanJobModel> _loaded = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>The prompt cache's hits, misses and size.</summary>
    public TextEmbeddingCacheStats CacheStats => _cache.Stats;

    /// <summary>The model named <paramref name="name"/> in <paramref name="directory"/>, loaded once.</summary>
    /// <exception cref="InvalidDataException">The folder is not a usable Wan model.</exception>
    public WanJobModel Get(string name, string directory)
    {
        lock (_gate)
        {
            if (_loaded.TryGetValue(name, out WanJobModel? model))
            {
                return model;
            }
            LoomModelOptions settings = options.Value.Models.GetValueOrDefault(name) ?? new LoomModelOptions();
            ScalarType computeType = settings.ComputeType == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
            WanModelFolder folder = WanModelFolder.Inspect(directory);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            model = WanJobModel.Load(folder, computeType, settings.TextEncoder, _cache, TextLength(folder));
            LogLoaded(logger, name, settings.TextEncoder, computeType, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            _loaded[name] = model;
            return model;
        }
    }

    /// <summary>
    /// The stages of job <paramref name="jobId"/> on this silo: its model's text encoder and VAE (loaded once), its prompts
    /// encoded (or found in the cache: logged either way), its image encoded for image-to-video.
    /// </summary>
    public WanJobStages Prepare(string jobId, Contracts.Jobs.JobSpec spec, string directory)
    {
        WanJobModel model = Get(spec.Model, directory);
        WanJobStages stages = WanJobStages.Prepare(spec, model);
        LogPrompts(logger, jobId, stages.Prompt.FromCache ? "the cache" : "the text encoder", stages.Negative.FromCache ? "the cache" : "the text encoder",
            stages.Prompt.Key.ContentHash[..12], stages.TextSeconds);
        if (stages.Prompt.Warning is { } warning)
        {
            LogPromptCut(logger, jobId, warning);
        }
        return stages;
    }

    /// <summary>Text tokens the transformer reads (its config's <c>text_len</c>; 512 for every released model).</summary>
    private static int TextLength(WanModelFolder folder)
    {
        WanComponent component = folder.Component("transformer") ?? folder.Component("high_noise")
            ?? throw new InvalidDataException($"{folder.Directory}: no transformer.");
        string path = Path.Combine(folder.Directory, component.Files.Single(f => Path.GetFileName(f) == "config.json"));
        return WanTransformerConfig.Parse(File.ReadAllText(path), path).TextLen;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (WanJobModel model in _loaded.Values)
            {
                model.Dispose();
            }
            _loaded.Clear();
        }
        _cache.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: prompt from {Prompt}, negative prompt from {Negative} (prompt {Hash}, {Seconds:0.000} s)")]
    private static partial void LogPrompts(ILogger logger, string jobId, string prompt, string negative, string hash, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Warning}")]
    private static partial void LogPromptCut(ILogger logger, string jobId, string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wan model {Name}: text encoder ({TextDevice}) and VAE ({ComputeType}) loaded for jobs in {Seconds:0.00} s")]
    private static partial void LogLoaded(ILogger logger, string name, string textDevice, ScalarType computeType, double seconds);
}
