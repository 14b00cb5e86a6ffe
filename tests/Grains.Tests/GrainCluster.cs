using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Prometheus;

namespace Loom.Grains.Tests;

/// <summary>
/// Two silos in this process on Orleans' in-process test cluster, with Loom's grains and services as a silo has them:
/// grain state in memory, checkpoints, results and the job index in files under a temporary folder, the bundled physics
/// model, and simulated shards (each forward a 1 ms wait answering the request's own latent), so jobs run in well under
/// a second. The heartbeat is the test's: <see cref="ReportShardsAsync"/> puts every shard in the directory.
/// </summary>
public sealed class GrainCluster : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("loom-grains-").FullName;

    /// <summary>The cluster (silos, client).</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The client.</summary>
    public IClusterClient Client => Cluster.Client;

    /// <summary>The folder of the stores (<c>index</c>, <c>latents</c>, <c>results</c>) and outputs (<c>out</c>).</summary>
    public string Root => _root;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        string models = Path.Combine(RepositoryRoot(), "models");
        string root = _root;
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddMemoryGrainStorage("jobs");
            silo.Services.Configure<LoomCatalogOptions>(o => o.ModelDirectory = models);
            silo.Services.Configure<LoomJobOptions>(o =>
            {
                o.OutputDirectory = Path.Combine(root, "out");
                o.MaxRunningJobs = 1;
            });
            silo.Services.Configure<LoomShardOptions>(o =>
            {
                o.Shards = 1;
                o.SimulatedForward = TimeSpan.FromMilliseconds(1);
                o.ShardStaleAfter = TimeSpan.FromHours(1);
            });
            silo.Services.AddSingleton(new LoomMetrics(Metrics.NewCustomRegistry()));
            silo.Services.AddLoomGrains();
            // Shared by both silos, as embedded mode's silos on one machine share the data folder.
            silo.Services.AddSingleton<ILatentStore>(sp => new FileLatentStore(Path.Combine(root, "latents"), sp.GetRequiredService<StorageHealth>()));
            silo.Services.AddSingleton<IResultStore>(sp => new FileResultStore(Path.Combine(root, "results"), sp.GetRequiredService<StorageHealth>()));
            silo.Services.AddSingleton<IJobIndexStore>(sp => new FileJobIndexStore(Path.Combine(root, "index"), sp.GetRequiredService<StorageHealth>()));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>The services of the <paramref name="index"/>-th silo.</summary>
    public IServiceProvider Silo(int index) => Cluster.Silos[index].ServiceProvider;

    /// <summary>Reports every silo's shards to the directory (what each silo's heartbeat does every second).</summary>
    public async Task ReportShardsAsync()
    {
        foreach (InProcessSiloHandle silo in Cluster.Silos)
        {
            await Client.GetGrain<IShardDirectoryGrain>(0).ReportAsync(silo.ServiceProvider.GetRequiredService<ShardHost>().Infos());
        }
    }

    /// <summary>Polls <paramref name="jobId"/> until it is final (or 30 s pass: then the test fails with its last status).</summary>
    public async Task<JobStatus> WaitFinalAsync(string jobId)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            JobStatus status = await Client.GetGrain<IRenderJobGrain>(jobId).GetStatusAsync();
            if (status.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled)
            {
                return status;
            }
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} still {status.Phase} after 30 s ({status.StepsDone} steps)");
            await Task.Delay(20);
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no Cluster.sln above {AppContext.BaseDirectory}");
    }
}
