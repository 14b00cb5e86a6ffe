using Loom.Contracts.Shards;
using Loom.Grains;
using Loom.Grains.Shards;
using TorchSharp;

namespace Loom.Cluster.Tests;

/// <summary>
/// <c>Loom:Devices</c>: one shard per CUDA device a silo sees, CPU shards when it sees none or is told to; each shard
/// reports its device's name and free memory.
/// </summary>
public sealed class ShardDeviceTests
{
    [Fact]
    public void Auto_gives_one_shard_per_cuda_device_and_cpu_shards_without_one()
    {
        var options = new LoomShardOptions { Devices = "auto", Shards = 3 };
        Assert.Equal(["cuda:0", "cuda:1"], ShardDevices.Select(options, () => 2).Select(d => d.Id));
        Assert.Equal(["cpu:0", "cpu:1", "cpu:2"], ShardDevices.Select(options, () => 0).Select(d => d.Id));
        Assert.Equal(DeviceType.CUDA, ShardDevices.Select(options, () => 2)[1].Torch.type);
        Assert.Equal(1, ShardDevices.Select(options, () => 2)[1].Torch.index);
    }

    [Fact]
    public void Cpu_ignores_gpus_and_cuda_fails_without_one_naming_the_setting()
    {
        Assert.Equal(["cpu:0", "cpu:1"], ShardDevices.Select(new LoomShardOptions { Devices = "CPU", Shards = 2 }, () => 4).Select(d => d.Id));
        Assert.Equal(["cuda:0"], ShardDevices.Select(new LoomShardOptions { Devices = "cuda" }, () => 1).Select(d => d.Id));

        var none = Assert.Throws<InvalidOperationException>(() => ShardDevices.Select(new LoomShardOptions { Devices = "cuda" }, () => 0));
        Assert.Contains("Loom:Devices is 'cuda'", none.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<InvalidOperationException>(() => ShardDevices.Select(new LoomShardOptions { Devices = "gpu" }, () => 1));
        Assert.Contains("Loom:Devices must be one of auto, cpu, cuda; got 'gpu'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulated_shards_take_the_cpu_shard_count_and_never_ask_for_cuda()
    {
        var options = new LoomShardOptions { Devices = "cuda", Shards = 2, SimulatedForward = TimeSpan.FromMilliseconds(5) };
        Assert.Equal(["simulated:0", "simulated:1"], ShardDevices.Select(options, () => throw new InvalidOperationException("asked")).Select(d => d.Id));
    }

    [Fact]
    public void This_machine_is_discovered_as_torch_sees_it()
    {
        int cuda = ShardDevices.CudaDeviceCount();
        IReadOnlyList<ShardDevice> devices = ShardDevices.Select(new LoomShardOptions { Shards = 2 });
        Assert.Equal(cuda > 0 ? Enumerable.Range(0, cuda).Select(i => $"cuda:{i}") : ["cpu:0", "cpu:1"], devices.Select(d => d.Id));
    }

    [Fact]
    public void A_cpu_probe_names_the_processor_and_reads_free_host_memory()
    {
        using var probe = new DeviceProbe(new ShardDevice(ShardDeviceKind.Cpu, 0));
        string cpuinfo = File.ReadAllText("/proc/cpuinfo");
        Assert.False(string.IsNullOrWhiteSpace(probe.Name));
        Assert.Contains(probe.Name, cpuinfo.Replace("\t", "", StringComparison.Ordinal), StringComparison.Ordinal);
        (long free, long total) = probe.Memory();
        Assert.InRange(total, 64L << 20, 1L << 50);
        Assert.InRange(free, 1, total);

        using var simulated = new DeviceProbe(new ShardDevice(ShardDeviceKind.Simulated, 0));
        Assert.Equal((-1L, -1L), simulated.Memory());
    }

    [Fact]
    public async Task A_silo_reports_each_shards_device_name_and_free_memory()
    {
        await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 1, shardsPerSilo: 1);
        ShardInfo shard = Assert.Single(await cluster.WaitForShardsAsync(1));
        bool cuda = ShardDevices.CudaDeviceCount() > 0; // the test process and the silo see the same machine
        Assert.Equal(cuda ? "cuda:0" : "cpu:0", shard.Device);
        if (!cuda)
        {
            Assert.Equal(DeviceProbe.CpuModel(), shard.DeviceName);
        }
        Assert.InRange(shard.MemoryFreeBytes, 1, shard.MemoryTotalBytes);
        Assert.Contains($"shard {shard.Device}: {shard.DeviceName}", cluster.Silos[0].Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_told_to_use_cuda_on_a_machine_without_one_stops_at_start_naming_the_setting()
    {
        if (ShardDevices.CudaDeviceCount() > 0)
        {
            return; // covered on GPU machines by the silo test above, which then runs on cuda:0
        }
        string data = Directory.CreateTempSubdirectory("loom-devices-").FullName;
        await using SiloProcess silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["Devices"] = "cuda", ["ModelDirectory"] = data, ["DataDirectory"] = data, ["OutputDirectory"] = data, ["PrimarySiloPort"] = "0",
        });
        for (int i = 0; i < 600 && silo.IsRunning; i++)
        {
            await Task.Delay(100);
        }
        Assert.False(silo.IsRunning, "the silo kept running with Loom:Devices=cuda and no CUDA device");
        Assert.Contains("Loom:Devices is 'cuda' but TorchSharp sees no CUDA device", silo.Log, StringComparison.Ordinal);
        Directory.Delete(data, recursive: true);
    }
}
