using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Routing;
using Loom.Models.WorldModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Loom.Cluster.Tests;

/// <summary>
/// Real silo processes clustered through a real Redis, plus an Orleans client in the test process, a model folder and
/// an output folder. Silos declare a dead peer within seconds (fast failure detection).
/// </summary>
public sealed class LoomTestCluster : IAsyncDisposable
{
    private readonly List<IHost> _clients = [];

    private LoomTestCluster(RedisServer redis, string models, string clusterId, int shardsPerSilo)
    {
        Redis = redis;
        Models = models;
        ClusterId = clusterId;
        ShardsPerSilo = shardsPerSilo;
        Output = Directory.CreateTempSubdirectory("loom-out-").FullName;
        Results = Directory.CreateTempSubdirectory("loom-results-").FullName;
    }

    /// <summary>The Redis behind membership, state and checkpoints.</summary>
    public RedisServer Redis { get; }

    /// <summary>Model folder.</summary>
    public string Models { get; }

    /// <summary>Output folder.</summary>
    public string Output { get; }

    /// <summary>The result store's folder, shared by every silo (a shared volume in a real cluster).</summary>
    public string Results { get; }

    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; }

    /// <summary>CPU shards per silo.</summary>
    public int ShardsPerSilo { get; }

    /// <summary>The silos (killed ones stay in the list, not running).</summary>
    public List<SiloProcess> Silos { get; } = [];

    /// <summary>The first client.</summary>
    public IClusterClient Client { get; private set; } = null!;

    /// <summary>Extra silo settings (e.g. MaxRunningJobs).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>Starts <paramref name="silos"/> silos and a client, and waits until every shard is in the directory.</summary>
    public static async Task<LoomTestCluster> StartAsync(int silos = 3, int shardsPerSilo = 2, IReadOnlyDictionary<string, string>? settings = null, RedisServer? redis = null)
    {
        redis ??= await RedisServer.StartAsync();
        var cluster = new LoomTestCluster(redis, TestModel.Write(), $"test-{Guid.NewGuid():N}"[..16], shardsPerSilo);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            cluster.Settings[key] = value;
        }
        try
        {
            for (int i = 0; i < silos; i++)
            {
                cluster.StartSilo();
            }
            cluster.Client = await cluster.ConnectAsync();
            await cluster.WaitForShardsAsync(silos * shardsPerSilo);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync(); // no silo or Redis process outlives a cluster that failed to start
            throw;
        }
    }

    /// <summary>Starts one more silo (or restarts one on given ports).</summary>
    public SiloProcess StartSilo(int? siloPort = null, int? gatewayPort = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Redis"] = Redis.ConnectionString,
            ["ClusterId"] = ClusterId,
            ["ServiceId"] = ClusterId,
            ["ModelDirectory"] = Models,
            ["OutputDirectory"] = Output,
            ["Results:Directory"] = Results,
            ["Shards"] = ShardsPerSilo.ToString(),
            ["PreloadModels"] = "true", // placement by queue alone: a tiny model's load cost outweighs a short queue
            ["FastFailureDetection"] = "true",
            ["ThreadsPerShard"] = "1",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value; // a test's own settings win over these defaults
        }
        SiloProcess silo = SiloProcess.Start(settings, siloPort, gatewayPort);
        Silos.Add(silo);
        return silo;
    }

    /// <summary>A new Orleans client (another caller).</summary>
    public async Task<IClusterClient> ConnectAsync()
    {
        IHost host = Host.CreateDefaultBuilder()
            .UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = ClusterId;
                    o.ServiceId = ClusterId;
                });
                client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(Redis.ConnectionString));
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
            })
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .Build();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await host.StartAsync();
                break;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
        _clients.Add(host);
        return host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>
    /// Waits until the directory lists <paramref name="count"/> live shards. A silo whose shards are still missing halfway
    /// through is restarted once, in its place in <see cref="Silos"/>, its log written to the test's error output: two CI
    /// runs saw one silo of a starting cluster log its model and then nothing for the whole wait (cause not found).
    /// </summary>
    public async Task<ShardInfo[]> WaitForShardsAsync(int count, TimeSpan? timeout = null)
    {
        TimeSpan wait = timeout ?? TimeSpan.FromSeconds(90);
        DateTime started = DateTime.UtcNow, deadline = started + wait;
        bool restarted = false;
        ShardInfo[] shards = [];
        while (DateTime.UtcNow < deadline)
        {
            shards = await Retry(() => Client.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync());
            if (shards.Length == count)
            {
                return shards;
            }
            if (!restarted && DateTime.UtcNow - started > wait / 2)
            {
                restarted = true;
                foreach (SiloProcess silent in Silos.Where(p => p.IsRunning && !shards.Any(s => s.Silo.Contains($":{p.SiloPort}@", StringComparison.Ordinal))).ToArray())
                {
                    await Console.Error.WriteLineAsync($"silo :{silent.SiloPort} listed no shard after {(DateTime.UtcNow - started).TotalSeconds:F0} s; restarting it. Its log:\n{silent.Log}");
                    int at = Silos.IndexOf(silent);
                    SiloProcess again = StartSilo(); // appended
                    Silos.RemoveAt(Silos.Count - 1);
                    Silos[at] = again;
                    await silent.DisposeAsync();
                }
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{shards.Length} of {count} shards after the wait. Logs of the silos without shards:\n" +
            string.Join("\n", Silos.Where(p => !shards.Any(s => s.Silo.Contains($":{p.SiloPort}@", StringComparison.Ordinal))).Select(p => $"silo :{p.SiloPort}:\n{p.Log}")));
    }

    /// <summary>Submits a job.</summary>
    public Task<JobStatus> SubmitAsync(string jobId, JobSpec spec, IClusterClient? client = null)
        => Retry(() => (client ?? Client).GetGrain<IRenderJobGrain>(jobId).SubmitAsync(spec));

    /// <summary>The job's status, retrying while the cluster heals.</summary>
    public Task<JobStatus> StatusAsync(string jobId) => Retry(() => Client.GetGrain<IRenderJobGrain>(jobId).GetStatusAsync());

    /// <summary>Waits for <paramref name="predicate"/> on the job's status.</summary>
    public async Task<JobStatus> WaitAsync(string jobId, Func<JobStatus, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(180));
        JobStatus status = await StatusAsync(jobId);
        while (!predicate(status))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} stuck at {status.Phase} step {status.StepsDone}/{status.Spec.Steps} ({status.Error}).\n{string.Join("\n---\n", Silos.Select(s => Tail(s.Log)))}");
            }
            await Task.Delay(100);
            status = await StatusAsync(jobId);
        }
        return status;
    }

    /// <summary>Waits until the job is final.</summary>
    public Task<JobStatus> WaitFinalAsync(string jobId, TimeSpan? timeout = null) => WaitAsync(jobId, s => s.IsFinal, timeout);

    /// <summary>The silo process whose silo address is <paramref name="host"/> (as in <see cref="JobStatus.Host"/>).</summary>
    public SiloProcess SiloOf(string host) => Silos.Single(s => s.IsRunning && host.Contains($":{s.SiloPort}@", StringComparison.Ordinal));

    /// <summary>The same job sampled in this process with the same weights: the reference for bit-identity.</summary>
    public async Task<string> ReferenceHashAsync(JobSpec spec)
    {
        using PhysicsWorldModel model = TestModel.Load(Models);
        using var latent = await JobRun.RunAsync(spec, (w, c) => new WireRoundedField(new WorldModelField(model, c, spec.Guidance), spec.Wire));
        return JobSampling.Hash(latent);
    }

    /// <summary>Runs a cluster call, retrying for a while when the silo that served it died.</summary>
    public static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is not (InvalidJobSpecException or JobNotFoundException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (IHost client in _clients)
        {
            try
            {
                await client.StopAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
            }
            client.Dispose();
        }
        foreach (SiloProcess silo in Silos)
        {
            await silo.DisposeAsync();
        }
        await Redis.DisposeAsync();
        Directory.Delete(Models, recursive: true);
        Directory.Delete(Output, recursive: true);
        Directory.Delete(Results, recursive: true);
    }
}
