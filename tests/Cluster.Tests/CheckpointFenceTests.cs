using Loom.Contracts.Storage;
using Loom.Grains.Storage;

namespace Loom.Cluster.Tests;

/// <summary>Checkpoint writes are fenced by epoch: a superseded job loop can neither overwrite a newer checkpoint nor recreate a deleted one.</summary>
public sealed class CheckpointFenceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loom-fence-").FullName;

    [Fact]
    public async Task An_older_epoch_cannot_overwrite_a_newer_checkpoint()
    {
        var store = new FileLatentStore(_directory);
        await store.SaveAsync("job", new LatentCheckpoint(4, [1, 2, 3, 4], Epoch: 2));

        StaleCheckpointException stale = await Assert.ThrowsAsync<StaleCheckpointException>(() => store.SaveAsync("job", new LatentCheckpoint(5, [9, 9, 9, 9], Epoch: 1)));

        Assert.Equal((1, 2), (stale.Epoch, stale.Stored));
        LatentCheckpoint kept = Assert.IsType<LatentCheckpoint>(await store.LoadAsync("job"));
        Assert.Equal((4, 2L), (kept.StepsDone, kept.Epoch));
        await store.SaveAsync("job", new LatentCheckpoint(6, [5, 6, 7, 8], Epoch: 2)); // the same loop goes on
        await store.SaveAsync("job", new LatentCheckpoint(6, [5, 6, 7, 8], Epoch: 3)); // a newer one takes over
    }

    [Fact]
    public async Task A_deleted_checkpoint_is_not_written_again_by_an_older_loop()
    {
        var store = new FileLatentStore(_directory);
        await store.SaveAsync("job", new LatentCheckpoint(4, [1, 2, 3, 4], Epoch: 1));
        await store.DeleteAsync("job", epoch: 2);

        await Assert.ThrowsAsync<StaleCheckpointException>(() => store.SaveAsync("job", new LatentCheckpoint(5, [1, 2, 3, 4], Epoch: 1)));
        Assert.Null(await store.LoadAsync("job"));
        await store.DeleteAsync("job", epoch: 1); // an older loop's delete leaves the newer tombstone
        await Assert.ThrowsAsync<StaleCheckpointException>(() => store.SaveAsync("job", new LatentCheckpoint(5, [1, 2, 3, 4], Epoch: 1)));
    }

    [Fact]
    public async Task Concurrent_writers_of_two_epochs_end_with_the_newer()
    {
        var store = new FileLatentStore(_directory);
        var writes = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.SaveAsync("job", new LatentCheckpoint(i + 1, [(byte)i], Epoch: i % 2 + 1));
            }
            catch (StaleCheckpointException)
            {
            }
        }));
        await Task.WhenAll(writes);

        Assert.Equal(2, (await store.LoadAsync("job"))!.Epoch);
    }

    [Fact]
    public async Task A_corrupt_checkpoint_is_replaced_whatever_epoch_its_header_claims()
    {
        var store = new FileLatentStore(_directory);
        string path = FileLatentStore.PathIn(_directory, "job");
        await store.SaveAsync("job", new LatentCheckpoint(4, [1, 2, 3, 4], Epoch: 7));
        byte[] bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 1; // the latent no longer matches its checksum; the header still claims epoch 7
        await File.WriteAllBytesAsync(path, bytes);

        await store.SaveAsync("job", new LatentCheckpoint(5, [5, 6, 7, 8], Epoch: 3)); // verified, found corrupt: replaced

        LatentCheckpoint written = Assert.IsType<LatentCheckpoint>(await store.LoadAsync("job"));
        Assert.Equal((5, 3L), (written.StepsDone, written.Epoch));
        // A sound newer checkpoint still refuses it: the header's claim is checked against the whole checkpoint.
        await store.SaveAsync("job", new LatentCheckpoint(6, [1, 1, 1, 1], Epoch: 9));
        await Assert.ThrowsAsync<StaleCheckpointException>(() => store.SaveAsync("job", new LatentCheckpoint(7, [2, 2, 2, 2], Epoch: 8)));
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
