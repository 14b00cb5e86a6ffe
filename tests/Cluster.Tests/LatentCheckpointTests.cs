using Loom.Grains.Jobs;
using Loom.Grains.Storage;

namespace Loom.Cluster.Tests;

/// <summary>Checkpoints carry a checksum and are refused when any byte, their step or their size is wrong; queue order never negates.</summary>
public sealed class LatentCheckpointTests
{
    private static readonly byte[] Latent = Enumerable.Range(0, 64).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void A_checkpoint_reads_back_as_written()
    {
        LatentCheckpoint read = LatentCheckpoint.FromBytes(new LatentCheckpoint(3, Latent).ToBytes());

        Assert.Equal(3, read.StepsDone);
        Assert.Equal(Latent, read.Latent);
        read.CheckFits(steps: 12, latentBytes: Latent.Length);
    }

    [Fact]
    public void Every_single_flipped_bit_is_caught()
    {
        byte[] bytes = new LatentCheckpoint(3, Latent).ToBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[i] ^= (byte)(1 << (i % 8));
            Assert.Throws<InvalidDataException>(() => LatentCheckpoint.FromBytes(bad));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(52)]
    public void A_truncated_checkpoint_is_caught(int keep)
        => Assert.Throws<InvalidDataException>(() => LatentCheckpoint.FromBytes(new LatentCheckpoint(3, Latent).ToBytes()[..keep]));

    [Theory]
    [InlineData(9999)]
    [InlineData(13)]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_step_out_of_range_is_corrupt_even_with_a_good_checksum(int step)
        => Assert.Throws<InvalidDataException>(() => LatentCheckpoint.FromBytes(new LatentCheckpoint(step, Latent).ToBytes()).CheckFits(steps: 12, latentBytes: Latent.Length));

    [Fact]
    public void A_latent_of_another_size_is_corrupt()
        => Assert.Throws<InvalidDataException>(() => new LatentCheckpoint(3, Latent).CheckFits(steps: 12, latentBytes: Latent.Length * 2));

    [Theory]
    [InlineData(int.MinValue, 0)]
    [InlineData(0, int.MaxValue)]
    [InlineData(int.MinValue, int.MaxValue)]
    [InlineData(-1000, 1000)]
    public void A_lower_priority_never_runs_first(int low, int high)
    {
        var lowEntry = new QueueEntry("low", low, Sequence: 1);
        var highEntry = new QueueEntry("high", high, Sequence: 2);

        Assert.True(highEntry.RunsBefore(lowEntry));
        Assert.False(lowEntry.RunsBefore(highEntry));
    }

    [Fact]
    public void Equal_priorities_run_in_submission_order()
        => Assert.True(new QueueEntry("a", int.MinValue, 1).RunsBefore(new QueueEntry("b", int.MinValue, 2)));
}
