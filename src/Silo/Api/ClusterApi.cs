using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Loom.Grains.Shards;
using Loom.Protos.V1;
using Orleans.Runtime;

namespace Loom.Silo.Api;

/// <summary>loom.v1.ClusterService: Orleans membership, the shard directory, this silo's model catalog and the job queue.</summary>
public sealed class ClusterApi(IGrainFactory grains, ModelCatalog catalog) : ClusterService.ClusterServiceBase
{
    /// <inheritdoc />
    public override async Task<ClusterStatus> GetClusterStatus(GetClusterStatusRequest request, ServerCallContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        Task<MembershipEntry[]> hosts = grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        Task<ShardInfo[]> shards = grains.GetGrain<IShardDirectoryGrain>(0).GetShardsAsync();
        Task<QueueInfo> queue = grains.GetGrain<IJobQueueGrain>(JobQueueGrain.Key).GetInfoAsync();
        await Task.WhenAll(hosts, shards, queue).WaitAsync(cancellationToken);

        var status = new ClusterStatus
        {
            Queue = new QueueStatus { Waiting = queue.Result.Waiting, Running = queue.Result.Running.Count, Paused = queue.Result.Paused, Admitted = queue.Result.Admitted },
        };
        status.Silos.AddRange(hosts.Result.OrderBy(h => h.SiloAddress.ToParsableString(), StringComparer.Ordinal).Select(h => new SiloInfo
        {
            Address = h.SiloAddress.ToParsableString(),
            Status = h.Status.ToString(),
            Name = h.SiloName ?? "",
        }));
        status.Shards.AddRange(shards.Result.Select(s =>
        {
            var shard = new ShardStatus
            {
                ShardId = s.ShardId,
                Silo = s.Silo,
                Device = s.Device,
                QueueDepth = s.QueueDepth,
                LatencySeconds = s.LatencySeconds,
                Completed = s.Completed,
                Forwards = s.Forwards,
                BusySeconds = s.BusySeconds,
                ReportedAt = Timestamp.FromDateTimeOffset(s.ReportedAt),
                DeviceName = s.DeviceName,
                MemoryFreeBytes = s.MemoryFreeBytes,
                MemoryTotalBytes = s.MemoryTotalBytes,
                ModelBytes = s.ModelBytes,
                ModelBudgetBytes = s.ModelBudgetBytes,
                Loads = s.Loads,
                Evictions = s.Evictions,
            };
            shard.Models.AddRange(s.Models);
            shard.Experts.AddRange(s.Experts ?? []);
            return shard;
        }));
        status.Models.AddRange(catalog.Shapes.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new ModelInfo
        {
            Name = m.Name,
            Height = m.Height,
            Width = m.Width,
            Patch = m.Patch,
            MaxWindow = m.MaxWindow,
            Sha256 = m.Sha256,
            TextConditioned = m.TextConditioned,
        }));
        return status;
    }
}
