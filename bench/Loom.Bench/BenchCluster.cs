using Loom.Cluster.Tests;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loom.Bench;

/// <summary>
/// Silo processes on this machine (localhost clustering, the first one primary) and an Orleans client connected to all of
/// them: the cluster the benchmarks submit jobs to.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos;
    private readonly IHost _client;
    private readonly string _data;
    private readonly System.Diagnostics.Stopwatch _age = System.Diagnostics.Stopwatch.StartNew();

    private BenchCluster(List<SiloProcess> silos, IHost client, string data)
    {
        _silos = silos;
        _client = client;
        _data = data;
    }

    /// <summary>The silo processes.</summary>
    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <summary>Time since the silo processes were started and joined.</summary>
    public TimeSpan Age => _age.Elapsed;

    /// <summary>The client's grain factory.</summary>
    public IClusterClient Grains => _client.Services.GetRequiredService<IClusterClient>();

    /// <summary>
    /// Starts <paramref name="silos"/> silo processes of <paramref name="shardsPerSilo"/> shards each, serving the models in
    /// <paramref name="models"/>, with <paramref name="settings"/> on top (keys under <c>Loom:</c>), and waits until the
    /// shard directory lists every shard.
    /// </summary>
    public static async Task<BenchCluster> StartAsync(string models, int silos, int shardsPerSilo, IReadOnlyDictionary<string, string>? settings = null)
    {
        string data = Directory.CreateTempSubdirectory("loom-bench-").FullName;
        int primary = Ports.Free();
        var processes = new List<SiloProcess>();
        for (int i = 0; i < silos; i++)
        {
            var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
            {
                ["ModelDirectory"] = models, ["DataDirectory"] = Path.Combine(data, $"silo{i}"), ["OutputDirectory"] = Path.Combine(data, "out"),
                ["Shards"] = shardsPerSilo.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PrimarySiloPort"] = (i == 0 ? 0 : primary).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            all.TryAdd("ThreadsPerShard", "1");
            processes.Add(SiloProcess.Start(all, i == 0 ? primary : null));
        }
        int[] gateways = processes.Select(p => p.GatewayPort).ToArray();
        IHost client = Host.CreateDefaultBuilder()
            .UseOrleansClient(c => c.UseLocalhostClustering(gateways, serviceId: "loom", clusterId: "loom"))
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Error)) // silos leaving at the end would fill the table's output with warnings
            .Build();
        var cluster = new BenchCluster(processes, client, data);
        try
        {
            await StartWithRetry(client);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await ListedAsync(cluster) < silos * shardsPerSilo)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the shard directory did not list {silos * shardsPerSilo} shards within 2 minutes.");
                }
                await Task.Delay(200);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Submits every job at once and waits until all are final; throws if one did not complete.</summary>
    public async Task<JobStatus[]> RunAsync(IReadOnlyList<(string Id, JobSpec Spec)> jobs)
    {
        await Task.WhenAll(jobs.Select(j => Grains.GetGrain<IRenderJobGrain>(j.Id).SubmitAsync(j.Spec)));
        var done = new JobStatus?[jobs.Count];
        while (done.Any(s => s is null))
        {
            await Task.Delay(250); // timings come from the jobs' own timestamps: polling less only keeps the CPU for the jobs
            for (int i = 0; i < jobs.Count; i++)
            {
                if (done[i] is null && await Grains.GetGrain<IRenderJobGrain>(jobs[i].Id).GetStatusAsync() is { IsFinal: true } status)
                {
                    done[i] = status.Phase == JobPhase.Completed
                        ? status
                        : throw new InvalidOperationException($"job {status.JobId} ended {status.Phase}: {status.Error}");
                }
            }
        }
        return done.Select(s => s!).ToArray();
    }

    /// <summary>
    /// <c>loom_step_phase_seconds_total</c> by phase, summed over the silos (each scraped on its <c>/metrics</c>): take
    /// one before and one after a workload and subtract (<see cref="PhaseSeconds.Minus"/>).
    /// </summary>
    public async Task<PhaseSeconds> PhasesAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (SiloProcess silo in _silos)
        {
            string text = await http.GetStringAsync($"http://127.0.0.1:{silo.MetricsPort}/metrics");
            foreach (var (phase, seconds) in PhaseSeconds.Parse(text))
            {
                sums[phase] = sums.GetValueOrDefault(phase) + seconds;
            }
        }
        return new PhaseSeconds(sums);
    }

    /// <summary>CPU seconds the silo processes have used so far, all together (less sensitive to a busy machine than wall time).</summary>
    public double SiloCpuSeconds => _silos.Sum(s => s.ProcessorTime.TotalSeconds);

    /// <summary>Seconds from the first submission to the last completion of <paramref name="done"/> (the silos' clocks).</summary>
    public static double Span(IReadOnlyCollection<JobStatus> done)
        => (done.Max(s => s.FinishedAt!.Value) - done.Min(s => s.SubmittedAt)).TotalSeconds;

    /// <summary>Shards the directory lists; 0 while a gateway it goes through is still coming up (a busy machine starts silos slowly).</summary>
    private static async Task<int> ListedAsync(BenchCluster cluster)
    {
        try
        {
            return (await cluster.Grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync()).Length;
        }
        catch (Orleans.Runtime.Messaging.ConnectionFailedException)
        {
            return 0;
        }
    }

    /// <summary>Starts an Orleans client, retrying while the gateways come up.</summary>
    private static async Task StartWithRetry(IHost client)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await client.StartAsync();
                return;
            }
            catch (Exception) when (attempt < 60)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.StopAsync();
        }
        catch (Exception)
        {
            // The client may never have connected.
        }
        _client.Dispose();
        foreach (SiloProcess silo in _silos)
        {
            await silo.DisposeAsync();
        }
        Directory.Delete(_data, recursive: true);
    }
}
