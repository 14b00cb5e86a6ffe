using System.Diagnostics;
using Loom.Contracts.Shards;
using Loom.Models.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Grains.Shards;

/// <summary>
/// One device's worker: a dedicated thread (off the Orleans scheduler) that takes window requests highest priority
/// first, batches requests of non-exact jobs with the same model and window shape into one forward pass, caches
/// conditioning by content hash, and keeps each model it serves loaded. Requests whose caller cancelled are dropped
/// before they reach the model. What a model is and how it computes lives behind <see cref="IShardModel"/> (src/Models):
/// the worker converts the wire's requests into the socket's tensors and its velocities back.
/// <para>
/// Everything a shard computes lives on its device: models are moved there once when loaded, a request's latent and
/// conditioning are copied there once from their wire bytes, every tensor the batch creates is made there, and the
/// velocities come back to host memory once, in <see cref="WireCodec.Encode(Tensor, WirePrecision)"/>.
/// </para>
/// </summary>
public sealed class ShardWorker : IDisposable
{
    private readonly int _maxBatch;
    private readonly List<Pending> _queue = [];
    private readonly List<PendingDecode> _decodes = [];
    private readonly ConditioningCache _conditioning;
    private readonly ShardModels _models;
    private readonly Thread _thread;
    private readonly bool _preload;
    private readonly int _threads;
    private readonly DeviceProbe _probe;
    private readonly ShardMemory _memory;
    private long _sequence;
    private int _running;
    private bool _stopping;
    private double _latency;
    private long _completed;
    private long _forwards;
    private double _busySeconds;
    private double _occupiedSeconds;
    private long _batchStarted;
    private readonly LoomMetrics _metrics;
    private readonly Prometheus.Histogram.Child _evalSeconds;

    /// <summary>Starts the worker thread for device <paramref name="device"/>.</summary>
    /// <param name="preload">Load every catalog model on the worker thread before taking work.</param>
    /// <param name="simulatedForward">Greater than zero: a simulated shard (see <see cref="LoomShardOptions.SimulatedForward"/>).</param>
    /// <param name="threads">Torch intra-op threads of the worker thread (0: libtorch's default).</param>
    /// <param name="modelBytes">Bytes of weights the shard may hold (0: a GPU's memory, unbounded on the CPU).</param>
    /// <param name="evict">Free the least recently used model or expert when another does not fit.</param>
    public ShardWorker(string shardId, ShardDevice device, ModelCatalog catalog, int maxBatch, int cacheEntries, LoomMetrics metrics, bool preload = false, TimeSpan simulatedForward = default, int threads = 0,
        long modelBytes = 0, bool evict = true)
    {
        _preload = preload && simulatedForward <= TimeSpan.Zero;
        _threads = threads;
        ShardId = shardId;
        ShardDevice = device;
        Device = device.Id;
        _probe = new DeviceProbe(device);
        long budget = modelBytes > 0 ? modelBytes : device.Kind == ShardDeviceKind.Cuda ? _probe.Memory().Total : -1;
        _memory = new ShardMemory(shardId, budget, evict);
        _models = new ShardModels(catalog, _memory, device, simulatedForward);
        _metrics = metrics;
        _evalSeconds = metrics.WindowEval.WithLabels(shardId);
        _maxBatch = Math.Max(1, maxBatch);
        _conditioning = new ConditioningCache(cacheEntries);
        _thread = new Thread(Run) { IsBackground = true, Name = $"loom-shard {device}" };
        _thread.Start();
    }

    /// <summary>The shard's grain key.</summary>
    public string ShardId { get; }

    /// <summary>The device's id on this silo (<c>cuda:0</c>, <c>cpu:1</c>).</summary>
    public string Device { get; }

    /// <summary>The device its models and tensors live on.</summary>
    public ShardDevice ShardDevice { get; }

    /// <summary>What the device is (the GPU's name or the CPU model).</summary>
    public string DeviceName => _probe.Name;

    /// <summary>A snapshot of load and health.</summary>
    public ShardInfo Info(string silo)
    {
        (long free, long total) = _probe.Memory();
        lock (_queue)
        {
            string[] models = _models.Names();
            return new ShardInfo(ShardId, silo, Device, models, _queue.Count + _running, _latency, _completed, _forwards, _busySeconds, DateTimeOffset.UtcNow,
                DeviceName: _probe.Name, MemoryFreeBytes: free, MemoryTotalBytes: total,
                Experts: _memory.Experts, ModelBytes: _memory.HeldBytes, ModelBudgetBytes: _memory.BudgetBytes, Loads: _memory.Loads, Evictions: _memory.Evictions);
        }
    }

    /// <summary>Requests waiting or running now.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count(p => !p.Completion.Task.IsCompleted) + _decodes.Count + _running;
            }
        }
    }

    /// <summary>Seconds the device thread has spent on batches since start (loading and forward passes), the one running included.</summary>
    public double OccupiedSeconds
    {
        get
        {
            lock (_queue)
            {
                return _occupiedSeconds + (_running > 0 ? Stopwatch.GetElapsedTime(_batchStarted).TotalSeconds : 0);
            }
        }
    }

    /// <summary>Queues <paramref name="request"/> and completes when its velocity is ready.</summary>
    /// <exception cref="ConditioningMissingException">The request names conditioning this shard does not hold.</exception>
    public Task<WindowResult> EvaluateAsync(WindowRequest request, CancellationToken cancellationToken)
    {
        long values = request.Shape is { Length: 5 } shape ? shape.Aggregate(1L, (a, b) => a * b) : -1;
        int width = WireTensor.BytesPerValue(request.Latent.Precision);
        if (values < 1 || request.Latent.Data.Length != values * width)
        {
            throw new ArgumentException($"latent must be [b, C, F, H, W] of {request.Latent.Precision}; got shape [{string.Join(", ", request.Shape ?? [])}] with {request.Latent.Data.Length} bytes.", nameof(request));
        }
        var pending = new Pending(request, new TaskCompletionSource<WindowResult>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken, Stopwatch.GetTimestamp());
        lock (_queue)
        {
            ThrowIfStopping();
            if (request.ConditioningKey is { } key)
            {
                if (request.Conditioning is { } given)
                {
                    _conditioning.Remember(key, given);
                }
                else if (!_conditioning.Holds(key))
                {
                    throw new ConditioningMissingException(key);
                }
            }
            pending = pending with { Sequence = _sequence++ };
            _queue.Add(pending);
            Monitor.Pulse(_queue);
        }
        return CancelledBy(pending.Completion, cancellationToken);
    }

    /// <summary>
    /// Queues a chunk of a decode plan; the device thread takes it before the next window batch (a decode finishes a job)
    /// and decodes it with the model's decoder, loading the model first if this shard does not hold it yet.
    /// </summary>
    public Task<DecodeResult> DecodeAsync(DecodeRequest request, CancellationToken cancellationToken)
    {
        long values = request.Shape is { Length: 5 } shape ? shape.Aggregate(1L, (a, b) => a * b) : -1;
        if (values < 1 || request.Latent.Precision != WirePrecision.Float32 || request.Latent.Data.Length != values * sizeof(float))
        {
            throw new ArgumentException($"latent must be [1, C, n, h, w] of Float32; got shape [{string.Join(", ", request.Shape ?? [])}] with {request.Latent.Data.Length} bytes of {request.Latent.Precision}.", nameof(request));
        }
        var pending = new PendingDecode(request, new TaskCompletionSource<DecodeResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_queue)
        {
            ThrowIfStopping();
            _decodes.Add(pending);
            Monitor.Pulse(_queue);
        }
        return CancelledBy(pending.Completion, cancellationToken);
    }

    /// <summary>Refuses new work once the worker stops (call under the queue's lock).</summary>
    private void ThrowIfStopping()
    {
        if (_stopping)
        {
            throw new ShardUnavailableException($"shard {ShardId} is stopping.");
        }
    }

    /// <summary><paramref name="completion"/>'s task, cancelled when <paramref name="cancellationToken"/> is (the registration ends with the task).</summary>
    private static Task<T> CancelledBy<T>(TaskCompletionSource<T> completion, CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        return completion.Task;
    }

    private void Run()
    {
        if (_threads > 0)
        {
            // Per thread under OpenMP: this bounds the forward passes this thread runs, not the other shards'.
            torch.set_num_threads(_threads);
        }
        if (_preload)
        {
            _models.Preload();
        }
        while (Take() is { } work)
        {
            try
            {
                if (work.Decode is { } decode)
                {
                    Decode(decode);
                }
                else
                {
                    Evaluate(work.Batch!);
                }
            }
            catch (Exception e)
            {
                // Evaluate and Decode fail their own work; this only guarantees the device thread never dies.
                work.Batch?.ForEach(p => p.Completion.TrySetException(e));
                work.Decode?.Completion.TrySetException(e);
            }
            finally
            {
                lock (_queue)
                {
                    _occupiedSeconds += Stopwatch.GetElapsedTime(_batchStarted).TotalSeconds;
                    _running = 0;
                }
            }
        }
    }

    /// <summary>Waits for work and takes the next decode, else the next batch, highest priority first; null when the worker is stopping.</summary>
    private (List<Pending>? Batch, PendingDecode? Decode)? Take()
    {
        lock (_queue)
        {
            _queue.RemoveAll(p => p.Completion.Task.IsCompleted);
            _decodes.RemoveAll(d => d.Completion.Task.IsCompleted);
            while (_queue.Count == 0 && _decodes.Count == 0 && !_stopping)
            {
                Monitor.Wait(_queue);
                _queue.RemoveAll(p => p.Completion.Task.IsCompleted);
                _decodes.RemoveAll(d => d.Completion.Task.IsCompleted);
            }
            if (_stopping)
            {
                foreach (Pending p in _queue)
                {
                    p.Completion.TrySetException(new ShardUnavailableException($"shard {ShardId} stopped."));
                }
                foreach (PendingDecode d in _decodes)
                {
                    d.Completion.TrySetException(new ShardUnavailableException($"shard {ShardId} stopped."));
                }
                _queue.Clear();
                _decodes.Clear();
                return null;
            }
            _batchStarted = Stopwatch.GetTimestamp();
            if (_decodes.Count > 0)
            {
                PendingDecode decode = _decodes[0];
                _decodes.RemoveAt(0);
                _running = 1;
                return (null, decode);
            }
            Pending first = _queue.MinBy(p => (-p.Request.Priority, p.Sequence))!;
            List<Pending> batch = first.Request.BatchKey.Length == 0
                ? [first]
                : _queue.Where(p => p.Request.BatchKey == first.Request.BatchKey)
                    .OrderBy(p => (-p.Request.Priority, p.Sequence)).Take(_maxBatch).ToList();
            batch.ForEach(p => _queue.Remove(p));
            _running = batch.Count;
            return (batch, null);
        }
    }

    private void Decode(PendingDecode pending)
    {
        DecodeRequest request = pending.Request;
        long started = Stopwatch.GetTimestamp();
        // Only a shard that holds the model decodes with it (its decoder's weights load on the first chunk; the caller
        // picks such shards and decodes the chunk itself when one refuses).
        if (_models.Held(request.Model) is not { } model)
        {
            throw new ShardUnavailableException($"shard {ShardId} does not hold model '{request.Model}'.");
        }
        if (model is not IShardDecoder decoder)
        {
            throw new ArgumentException($"model {request.Model} has no decoder a shard can run.", nameof(pending));
        }
        // No dispose scope around the call: the decoder may load its weights now, and they must outlive this request.
        using Tensor latents = OnDevice(request.Latent.ToTensor(request.Shape));
        using Tensor decoded = decoder.DecodeChunk(latents, request.WarmUpStart, request.LatentStart);
        pending.Completion.TrySetResult(new DecodeResult(decoded.bytes.ToArray(), (int)decoded.shape[0], ShardId, Stopwatch.GetElapsedTime(started).TotalSeconds));
    }

    private void Evaluate(List<Pending> batch)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            string modelName = batch[0].Request.Model;
            IShardModel model = _models.Get(modelName);
            // The experts this batch needs (a request names its own; the shard checks it against its timestep below).
            string?[] units = model is IExpertShardModel { Experts.Count: > 1 } several
                ? batch.Select(p => (string?)(p.Request.Expert ?? several.ExpertAt(Timestep(p.Request)))).Distinct().ToArray()
                : [null];
            if (_models.Ensure(modelName, model, units))
            {
                started = Stopwatch.GetTimestamp(); // loading is not forward latency
            }
            // The first pass after a load warms libtorch up (a simulated shard has nothing to warm).
            bool warmUp = _models.FirstPass(modelName, units);
            WireTensor[] velocities;
            using (var scope = NewDisposeScope())
            {
                // A request whose input cannot be built (its conditioning was evicted) or does not fit the model fails alone, not its batch.
                var windows = new List<ModelWindow>();
                foreach (Pending p in batch.ToList())
                {
                    try
                    {
                        ModelWindow window = Window(p.Request);
                        if (p.Request.Expert is { } expert && model is IExpertShardModel experts && experts.ExpertAt(window.Timestep) != expert)
                        {
                            throw new ArgumentException($"expert: the request names {expert}, but timestep {window.Timestep} is {experts.ExpertAt(window.Timestep)}'s.", nameof(p.Request));
                        }
                        model.Check(window);
                        windows.Add(window);
                    }
                    catch (Exception e)
                    {
                        Answering(1);
                        p.Completion.TrySetException(e);
                        batch.Remove(p);
                    }
                }
                if (windows.Count == 0)
                {
                    return;
                }
                Tensor[] outputs = model.Evaluate(windows);
                velocities = outputs.Select((v, i) => WireCodec.Encode(v, batch[i].Request.Latent.Precision)).ToArray();
            }
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            lock (_queue)
            {
                // The first pass after a load would make this shard look slow for a long time.
                if (!warmUp)
                {
                    _latency = _latency == 0 ? seconds : 0.8 * _latency + 0.2 * seconds;
                }
                _forwards++;
                _completed += batch.Count;
                _busySeconds += seconds;
                _running -= batch.Count; // answered below: see Answering
            }
            _evalSeconds.Observe(seconds);
            _metrics.BatchSize.Observe(batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                WindowRequest request = batch[i].Request;
                batch[i].Completion.TrySetResult(new WindowResult(
                    velocities[i], (int)request.Shape[0] * (request.Guidance > 1 ? 2 : 1), ShardId,
                    Stopwatch.GetElapsedTime(batch[i].QueuedAt, started).TotalSeconds, seconds, batch.Count));
            }
        }
        catch (Exception e)
        {
            Answering(batch.Count);
            batch.ForEach(p => p.Completion.TrySetException(e));
        }
    }

    /// <summary>
    /// Takes <paramref name="requests"/> off the running count before their callers hear. An answered caller sends its next
    /// request at once; a report taken before the device thread got back to its count showed the answered request and the
    /// next one, and the router read the extra one as another router's request at the window's home and moved the window
    /// (most moves of 64 one-window jobs on 64 shards, and more on a busier machine, where that gap is longer).
    /// </summary>
    private void Answering(int requests)
    {
        lock (_queue)
        {
            _running = Math.Max(0, _running - requests);
        }
    }

    /// <summary>The request as the socket takes it, its tensors on this shard's device: one host-to-device copy each, none for a CPU shard.</summary>
    private ModelWindow Window(WindowRequest request)
    {
        Tensor latent = OnDevice(request.Latent.ToTensor(request.Shape));
        var conditioning = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (request.ConditioningKey is { } key)
        {
            WindowConditioning? given = request.Conditioning;
            lock (_queue)
            {
                if (given is null && !_conditioning.TryGet(key, out given))
                {
                    throw new ConditioningMissingException(key); // evicted while queued: the caller resends it
                }
            }
            if (given.Given.Length > 0)
            {
                conditioning[ConditioningNames.Frames] = OnDevice(WireCodec.FromBytes(given.Clean, request.Shape[1..]));
                conditioning[ConditioningNames.Given] = OnDevice(torch.tensor(given.Given));
            }
            foreach (ConditioningTensor tensor in given.Tensors ?? [])
            {
                conditioning[tensor.Name] = OnDevice(tensor.Values.ToTensor(tensor.Shape));
            }
        }
        return new ModelWindow(latent, request.Sigma, Timestep(request), request.Guidance, conditioning, request.WindowStart);
    }

    private static double Timestep(WindowRequest request) => request.Timestep ?? Sampling.Schedules.FlowSchedule.TrainTimesteps * request.Sigma;

    private Tensor OnDevice(Tensor host) => ShardDevice.Kind == ShardDeviceKind.Cuda ? host.to(ShardDevice.Torch, disposeAfter: true) : host;

    /// <summary>Stops taking work, fails what is queued, and frees the models.</summary>
    public void Dispose()
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.PulseAll(_queue);
        }
        _thread.Join(TimeSpan.FromSeconds(30));
        _models.Dispose();
        _probe.Dispose();
    }

    private sealed record PendingDecode(DecodeRequest Request, TaskCompletionSource<DecodeResult> Completion);

    private sealed record Pending(WindowRequest Request, TaskCompletionSource<WindowResult> Completion, CancellationToken Cancellation, long QueuedAt, long Sequence = 0);
}
