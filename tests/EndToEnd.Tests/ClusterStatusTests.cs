using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>loom.v1.ClusterService against a real silo.</summary>
[Collection(SiloCollection.Name)]
public sealed class ClusterStatusTests(SiloFixture silo)
{
    [Fact]
    public async Task Status_lists_the_silo_its_shards_and_the_physics_model()
    {
        ClusterStatus status = await silo.Cluster.GetClusterStatusAsync(new GetClusterStatusRequest(), SiloFixture.Deadline());

        SiloInfo member = Assert.Single(status.Silos);
        Assert.Equal("Active", member.Status);
        Assert.Contains($":{silo.Silo.SiloPort}@", member.Address, StringComparison.Ordinal);
        Assert.Equal(2, status.Shards.Count);
        Assert.All(status.Shards, s => Assert.Equal(member.Address, s.Silo));
        Assert.All(status.Shards, s =>
        {
            Assert.Matches("^(cpu|cuda):[0-9]+$", s.Device);
            Assert.False(string.IsNullOrWhiteSpace(s.DeviceName), $"{s.Device} reports no device name");
            Assert.InRange(s.MemoryFreeBytes, 1, s.MemoryTotalBytes);
        });
        ModelInfo physics = Assert.Single(status.Models, m => m.Name == "physics");
        Assert.Equal(32, physics.Height);
        Assert.Equal(32, physics.Width);
        Assert.Matches("^[0-9a-f]{64}$", physics.Sha256);
        Assert.NotNull(status.Queue);
    }
}
