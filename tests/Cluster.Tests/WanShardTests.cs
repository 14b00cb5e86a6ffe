using Loom.Grains;
using Loom.Contracts.Shards;
using Loom.Grains.Shards;
using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Serving;
using Loom.Models.Wan.Tiny;
using Loom.Models.Wan.Transformer;
using Loom.Sampling.Fields;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>
/// A shard hosting Wan through the model socket, on random-weight models from <c>loom models make-tiny</c>: its
/// velocities are the in-process pipeline's bit for bit, Wan2.2's expert follows the integer timestep, and text
/// conditioning travels by content hash like given frames (asked for when missing, never guessed).
/// </summary>
public sealed class WanShardTests : IClassFixture<WanShardTests.TinyModels>, IDisposable
{
    private const string T2V = "wan-t2v";
    private const string A14B = "wan-t2v-a14b";
    private const string I2V = "wan-i2v";
    private static readonly long[] Shape = [1, 16, 2, 4, 4];

    private readonly TinyModels _models;
    private readonly LoomMetrics _metrics = new(Prometheus.Metrics.NewCustomRegistry());
    private readonly ShardWorker _shard;

    public WanShardTests(TinyModels models)
    {
        _models = models;
        _shard = new ShardWorker("test/0", new ShardDevice(ShardDeviceKind.Cpu, 0), models.Catalog, maxBatch: 8, cacheEntries: 16, _metrics);
    }

    public void Dispose()
    {
        _shard.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task Exact_windows_at_the_shard_equal_the_in_process_Wan_field_bit_for_bit_and_a_batch_equals_the_same_batch_in_process()
    {
        using Tensor prompt = Random([5, 32], 1), negative = Random([3, 32], 2);
        WindowConditioning text = Text(prompt, negative);
        Tensor[] latents = [Random(Shape, 3), Random(Shape, 4), Random(Shape, 5)];
        // The first request ships the text; the others name it by its hash and find it cached.
        WindowResult[] exact = await Task.WhenAll(latents.Select((z, i) =>
            _shard.EvaluateAsync(Request(T2V, z, 0.8, 800, 5.0, text, send: i == 0, exact: true), CancellationToken.None)));
        // The device thread is busy loading the two-expert model while the three windows queue: they share one forward.
        Task blocker = _shard.EvaluateAsync(Request(A14B, latents[0], 0.5, 500, 1.0, text, send: true), CancellationToken.None);
        WindowResult[] batched = await Task.WhenAll(latents.Select(z =>
            _shard.EvaluateAsync(Request(T2V, z, 0.8, 800, 5.0, text, send: false), CancellationToken.None)));
        await blocker;

        using WanTransformer model = WanCheckpoint.Open(_models.Folder(T2V)).Load();
        using var field = new WanVelocityField(model, "transformer", prompt, negative, 5.0, null, new object());
        Tensor[] inProcessBatch = WanBatch.Evaluate(model, latents.Select(z => new WanWindowInput(z, 800, prompt, negative, 5.0, null)).ToArray());
        for (int i = 0; i < latents.Length; i++)
        {
            using Tensor expected = (await field.PredictAsync(latents[i], new StepContext(2, 0.8, 0.7) { Timestep = 800 })).Velocity;
            Assert.Equal(expected.bytes.ToArray(), exact[i].Velocity.Data);
            Assert.Equal((1, 2), (exact[i].BatchRequests, exact[i].Evaluations));
            Assert.Equal(inProcessBatch[i].bytes.ToArray(), batched[i].Velocity.Data);
            Assert.Equal(3, batched[i].BatchRequests);
        }
        foreach (Tensor t in latents.Concat(inProcessBatch))
        {
            t.Dispose();
        }
    }

    [Fact]
    public async Task A_two_expert_model_picks_the_expert_of_each_window_from_its_integer_timestep()
    {
        using Tensor prompt = Random([4, 32], 6), negative = Random([2, 32], 7);
        WindowConditioning text = Text(prompt, negative);
        using Tensor z = Random(Shape, 8);
        // 875 = 0.875 x 1000 is the high-noise expert's last timestep; 874 the low-noise expert's first.
        double[] timesteps = [875, 874];
        WindowResult[] results = await Task.WhenAll(timesteps.Select(t =>
            _shard.EvaluateAsync(Request(A14B, z, t / 1000, t, 4.0, text, send: true), CancellationToken.None)));

        WanExpertPair pair = WanExpertPair.Open(_models.Folder(A14B));
        using WanTransformer high = pair.HighNoise.Load(), low = pair.LowNoise.Load();
        using var highField = new WanVelocityField(high, "high_noise", prompt, negative, 4.0, null, new object());
        using var lowField = new WanVelocityField(low, "low_noise", prompt, negative, 4.0, null, new object());
        var experts = new TwoExpertField(highField, lowField, pair.Boundary);
        for (int i = 0; i < timesteps.Length; i++)
        {
            var context = new StepContext(i, timesteps[i] / 1000, 0.5) { Timestep = timesteps[i] };
            using Tensor expected = (await experts.PredictAsync(z, context)).Velocity;
            using Tensor other = (await (i == 0 ? lowField : highField).PredictAsync(z, context)).Velocity;
            Assert.Equal(expected.bytes.ToArray(), results[i].Velocity.Data);
            Assert.NotEqual(other.bytes.ToArray(), results[i].Velocity.Data); // the other expert would have given other values
        }
    }

    [Fact]
    public async Task A_shard_with_room_for_one_expert_holds_the_one_its_windows_need_and_frees_the_least_recently_used_for_the_other()
    {
        using Tensor prompt = Random([4, 32], 16), negative = Random([2, 32], 17), z = Random(Shape, 18);
        WindowConditioning text = Text(prompt, negative);
        long expert = _models.Catalog.Models[A14B].Memory.Parts[0].Bytes;
        using var shard = new ShardWorker("test/1", new ShardDevice(ShardDeviceKind.Cpu, 1), _models.Catalog, maxBatch: 8, cacheEntries: 16, _metrics, modelBytes: expert * 3 / 2);
        Assert.Equal((0, expert * 3 / 2, 0L), (shard.Info("silo").ModelBytes, shard.Info("silo").ModelBudgetBytes, shard.Info("silo").Loads));

        WindowResult high = await shard.EvaluateAsync(Request(A14B, z, 0.9, 900, 4.0, text, send: true) with { Expert = "high_noise" }, CancellationToken.None);
        WindowResult again = await shard.EvaluateAsync(Request(A14B, z, 0.88, 880, 4.0, text, send: false) with { Expert = "high_noise" }, CancellationToken.None);
        ShardInfo afterHigh = shard.Info("silo");
        Assert.Equal(["wan-t2v-a14b/high_noise"], afterHigh.Experts);
        Assert.Equal((expert, 1L, 0L), (afterHigh.ModelBytes, afterHigh.Loads, afterHigh.Evictions)); // the second window reused it

        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => shard.EvaluateAsync(Request(A14B, z, 0.5, 500, 4.0, text, send: false) with { Expert = "high_noise" }, CancellationToken.None));
        Assert.Contains("expert: the request names high_noise, but timestep 500 is low_noise's", wrong.Message, StringComparison.Ordinal);
        WindowResult low = await shard.EvaluateAsync(Request(A14B, z, 0.5, 500, 4.0, text, send: false) with { Expert = "low_noise" }, CancellationToken.None);
        ShardInfo afterLow = shard.Info("silo");
        Assert.Equal(["wan-t2v-a14b/low_noise"], afterLow.Experts);
        Assert.Equal((expert, 2L, 1L), (afterLow.ModelBytes, afterLow.Loads, afterLow.Evictions));
        Assert.True(afterLow.Holds(A14B, "low_noise") && !afterLow.Holds(A14B, "high_noise") && !afterLow.Holds(A14B, null));

        WanExpertPair pair = WanExpertPair.Open(_models.Folder(A14B));
        using WanTransformer highModel = pair.HighNoise.Load(), lowModel = pair.LowNoise.Load();
        using var highField = new WanVelocityField(highModel, "high_noise", prompt, negative, 4.0, null, new object());
        using var lowField = new WanVelocityField(lowModel, "low_noise", prompt, negative, 4.0, null, new object());
        using Tensor expectedHigh = (await highField.PredictAsync(z, new StepContext(0, 0.9, 0.8) { Timestep = 900 })).Velocity;
        using Tensor expectedLow = (await lowField.PredictAsync(z, new StepContext(2, 0.5, 0.4) { Timestep = 500 })).Velocity;
        Assert.Equal(expectedHigh.bytes.ToArray(), high.Velocity.Data);
        Assert.NotEqual(high.Velocity.Data, again.Velocity.Data);
        Assert.Equal(expectedLow.bytes.ToArray(), low.Velocity.Data);

        // A shard told not to free anything refuses the expert that does not fit (the router then places it elsewhere).
        using var keeping = new ShardWorker("test/2", new ShardDevice(ShardDeviceKind.Cpu, 2), _models.Catalog, maxBatch: 8, cacheEntries: 16, _metrics, modelBytes: expert * 3 / 2, evict: false);
        await keeping.EvaluateAsync(Request(A14B, z, 0.9, 900, 4.0, text, send: true) with { Expert = "high_noise" }, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ShardUnavailableException>(() => keeping.EvaluateAsync(Request(A14B, z, 0.5, 500, 4.0, text, send: false) with { Expert = "low_noise" }, CancellationToken.None));
        Assert.Contains("expert low_noise of model wan-t2v-a14b", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Loom:EvictModels is off", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["wan-t2v-a14b/high_noise"], keeping.Info("silo").Experts);
    }

    [Fact]
    public async Task Conditioning_the_shard_lacks_is_asked_for_and_never_guessed()
    {
        using Tensor prompt = Random([5, 32], 9), negative = Random([3, 32], 10);
        WindowConditioning text = Text(prompt, negative);
        using Tensor z = Random(Shape, 11);

        // Thrown at once, before queueing: the router resends the request with the conditioning.
        var missing = Assert.Throws<ConditioningMissingException>(() => { _ = _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, text, send: false), CancellationToken.None); });
        Assert.Equal(text.Key(), missing.Key);

        var none = await Assert.ThrowsAsync<ArgumentException>(() => _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, null, send: false), CancellationToken.None));
        Assert.Contains("conditioning 'prompt' is missing", none.Message, StringComparison.Ordinal);

        WindowConditioning promptOnly = Text(prompt, null);
        var noNegative = await Assert.ThrowsAsync<ArgumentException>(() => _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, promptOnly, send: true), CancellationToken.None));
        Assert.Contains("conditioning 'negative_prompt' is missing", noNegative.Message, StringComparison.Ordinal);

        // In a batch, the window without text fails alone; the other is evaluated.
        Task blocker = _shard.EvaluateAsync(Request(A14B, z, 0.5, 500, 1.0, promptOnly, send: true), CancellationToken.None);
        Task<WindowResult> bad = _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, null, send: false), CancellationToken.None);
        Task<WindowResult> good = _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, text, send: true), CancellationToken.None);
        await blocker;
        Assert.Contains("conditioning 'prompt' is missing", (await Assert.ThrowsAsync<ArgumentException>(() => bad)).Message, StringComparison.Ordinal);
        Assert.Equal(1, (await good).BatchRequests);

        WindowResult sent = await _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, text, send: true), CancellationToken.None);
        WindowResult cached = await _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 5.0, text, send: false), CancellationToken.None);
        Assert.Equal(sent.Velocity.Data, cached.Velocity.Data);
        WindowResult unguided = await _shard.EvaluateAsync(Request(T2V, z, 0.5, 500, 1.0, promptOnly, send: true), CancellationToken.None);
        Assert.Equal(1, unguided.Evaluations);
    }

    [Fact]
    public async Task An_image_to_video_window_brings_its_image_condition_like_its_text()
    {
        using Tensor prompt = Random([5, 32], 12), negative = Random([3, 32], 13), y = Random([1, 20, 2, 4, 4], 14), z = Random(Shape, 15);
        WindowConditioning text = Text(prompt, negative);
        WindowConditioning withImage = text with { Tensors = [.. text.Tensors!, new(ConditioningNames.Image, y.shape, WireCodec.Encode(y, WirePrecision.Float32))] };
        Assert.NotEqual(text.Key(), withImage.Key());

        var noImage = await Assert.ThrowsAsync<ArgumentException>(() => _shard.EvaluateAsync(Request(I2V, z, 0.9, 900, 5.0, text, send: true), CancellationToken.None));
        Assert.Contains("conditioning 'image' is missing", noImage.Message, StringComparison.Ordinal);
        WindowResult result = await _shard.EvaluateAsync(Request(I2V, z, 0.9, 900, 5.0, withImage, send: true, exact: true), CancellationToken.None);

        using WanTransformer model = WanCheckpoint.Open(_models.Folder(I2V)).Load();
        using var field = new WanVelocityField(model, "transformer", prompt, negative, 5.0, y, new object());
        using Tensor expected = (await field.PredictAsync(z, new StepContext(0, 0.9, 0.8) { Timestep = 900 })).Velocity;
        Assert.Equal(expected.bytes.ToArray(), result.Velocity.Data);
    }

    [Fact]
    public void The_catalog_serves_Wan_folders_and_sizes_them_from_their_files_per_expert()
    {
        ShardModelInfo a14b = _models.Catalog.Models[A14B];
        Assert.Equal(WanModelFamily.FamilyName, a14b.Family);
        Assert.Equal(16, a14b.Latent.Channels);
        Assert.True(a14b.TextConditioned);
        Assert.Equal((2, "t2v-a14b", 0), (_models.Catalog.Shapes[A14B].Experts, _models.Catalog.Shapes[A14B].Kind, _models.Catalog.Shapes[A14B].Height)); // a job model of any size
        WanExpertPair pair = WanExpertPair.Open(_models.Folder(A14B));
        using WanTransformer high = pair.HighNoise.Load();
        long parameters = high.parameters().Sum(p => p.numel());
        Assert.Equal(["high_noise", "low_noise"], a14b.Memory.Parts.Select(p => p.Name));
        Assert.All(a14b.Memory.Parts, p => Assert.Equal(4 * parameters, p.Bytes));

        ModelFound half = ModelFamilies.Scan(_models.Root, new ModelOpenOptions(ScalarType.BFloat16)).Single(f => f.Model?.Name == A14B);
        Assert.Equal(a14b.Memory.Bytes / 2, half.Model!.Memory.Bytes);
    }

    private static WindowRequest Request(string model, Tensor z, double sigma, double timestep, double guidance, WindowConditioning? conditioning, bool send, bool exact = false)
        => new("job", model, 0, exact, 0, 0, sigma, guidance, z.shape, WireCodec.Encode(z, WirePrecision.Float32),
            conditioning?.Key(), send ? conditioning : null, timestep);

    private static WindowConditioning Text(Tensor prompt, Tensor? negative)
    {
        var tensors = new List<ConditioningTensor> { new(ConditioningNames.Prompt, prompt.shape, WireCodec.Encode(prompt, WirePrecision.Float32)) };
        if (negative is not null)
        {
            tensors.Add(new(ConditioningNames.NegativePrompt, negative.shape, WireCodec.Encode(negative, WirePrecision.Float32)));
        }
        return new WindowConditioning([], [], [.. tensors]);
    }

    private static Tensor Random(long[] shape, long seed)
    {
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        return randn(shape, generator: generator);
    }

    /// <summary>A models folder with a tiny t2v, t2v-a14b and i2v model, and the catalog a silo would build over it.</summary>
    public sealed class TinyModels : IDisposable
    {
        public TinyModels()
        {
            Root = Directory.CreateTempSubdirectory("loom-wan-shard-").FullName;
            WanTinyModel.Write(Folder(T2V), WanKind.T2V, seed: 1);
            WanTinyModel.Write(Folder(A14B), WanKind.T2VA14B, seed: 2);
            WanTinyModel.Write(Folder(I2V), WanKind.I2V, seed: 3);
            Catalog = new ModelCatalog(Options.Create(new LoomCatalogOptions { ModelDirectory = Root }), NullLogger<ModelCatalog>.Instance);
        }

        public string Root { get; }

        public ModelCatalog Catalog { get; }

        public string Folder(string name) => Path.Combine(Root, name);

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
