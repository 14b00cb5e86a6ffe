using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;
using Loom.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Loom.Grains.Tests;

/// <summary>The job index through its grain: paging, owners, and an unreadable entry skipped when the index loads.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class JobIndexTests(GrainCluster grains)
{
    private IJobIndexGrain Index => grains.Client.GetGrain<IJobIndexGrain>(JobIndexGrain.Key);

    [Fact]
    public async Task Pages_run_newest_first_with_a_token_to_the_next_and_keep_to_their_owner()
    {
        string owner = $"owner-{Guid.NewGuid():N}";
        string[] ids = Enumerable.Range(0, 5).Select(i => $"{owner}-{i}").ToArray();
        foreach (string id in ids)
        {
            await Index.RecordAsync(Entry(id, owner));
        }
        await Index.RecordAsync(Entry(ids[1], owner) with { Phase = JobPhase.Completed }); // a phase change keeps the place

        JobPage first = await Index.ListAsync(new JobQuery([], "", 2, null, owner));
        JobPage second = await Index.ListAsync(new JobQuery([], "", 2, first.Next, owner));
        JobPage third = await Index.ListAsync(new JobQuery([], "", 2, second.Next, owner));
        JobPage completed = await Index.ListAsync(new JobQuery([JobPhase.Completed], "", 10, null, owner));

        Assert.Equal([ids[4], ids[3], ids[2], ids[1], ids[0]], first.Jobs.Concat(second.Jobs).Concat(third.Jobs).Select(j => j.JobId));
        Assert.Equal(5, first.Total);
        Assert.Null(third.Next);
        Assert.Equal([ids[1]], completed.Jobs.Select(j => j.JobId));
    }

    [Fact]
    public async Task An_unreadable_entry_is_skipped_and_the_rest_survive_a_reactivation()
    {
        string owner = $"owner-{Guid.NewGuid():N}";
        await Index.RecordAsync(Entry($"{owner}-good", owner));
        await Index.RecordAsync(Entry($"{owner}-bad", owner));
        string bad = Directory.EnumerateFiles(Path.Combine(grains.Root, "index", "jobs"), $"{owner}-bad*").Single();
        await File.WriteAllTextAsync(bad, "{\"JobId\": \"trunc");

        await grains.Cluster.DeactivateAsync(Index);
        JobPage page = await Index.ListAsync(new JobQuery([], "", 10, null, owner));

        Assert.Equal([$"{owner}-good"], page.Jobs.Select(j => j.JobId));
    }

    [Fact]
    public async Task An_index_an_older_silo_wrote_whole_moves_to_the_records_once()
    {
        string owner = $"owner-{Guid.NewGuid():N}";
        await grains.Cluster.DeactivateAsync(Index);
        // The index as it was persisted before: one grain state with every entry and key.
        IGrainStorage storage = grains.Silo(0).GetRequiredKeyedService<IGrainStorage>("jobs");
        GrainId id = Index.GetGrainId();
        var legacy = new GrainState<JobIndexState>(new JobIndexState());
        await storage.ReadStateAsync("index", id, legacy);
        legacy.State ??= new JobIndexState();
        legacy.State.Jobs[$"{owner}-old"] = Entry($"{owner}-old", owner) with { Sequence = 900_000, IdempotencyKey = $"{owner}/nightly" };
        legacy.State.Keys[$"{owner}/nightly"] = $"{owner}-old";
        legacy.State.NextSequence = 900_001;
        await storage.WriteStateAsync("index", id, legacy);

        JobPage page = await Index.ListAsync(new JobQuery([], "", 10, null, owner));
        await Index.RecordAsync(Entry($"{owner}-new", owner));
        await grains.Cluster.DeactivateAsync(Index);
        JobPage after = await Index.ListAsync(new JobQuery([], "", 10, null, owner));
        var cleared = new GrainState<JobIndexState>(new JobIndexState());
        await storage.ReadStateAsync("index", id, cleared);

        Assert.Equal([$"{owner}-old"], page.Jobs.Select(j => j.JobId));
        Assert.Equal($"{owner}-old", await Index.FindByKeyAsync($"{owner}/nightly"));
        Assert.Equal([$"{owner}-new", $"{owner}-old"], after.Jobs.Select(j => j.JobId)); // numbered after the old ones
        Assert.True(cleared.State is null || cleared.State.Jobs.Count == 0);
    }

    [Fact]
    public async Task Each_update_writes_one_record_of_its_job()
    {
        string root = Directory.CreateTempSubdirectory("loom-index-").FullName;
        try
        {
            var store = new FileJobIndexStore(root);
            for (int i = 0; i < 3; i++)
            {
                await store.SaveAsync(Entry($"job-{i}", "o") with { Sequence = i + 1 });
            }
            DateTime[] before = Directory.EnumerateFiles(Path.Combine(root, "jobs")).Order().Select(File.GetLastWriteTimeUtc).ToArray();
            await Task.Delay(20);

            await store.SaveAsync(Entry("job-1", "o") with { Sequence = 2, Phase = JobPhase.Running });
            Assert.Equal("first", await store.BindKeyAsync("o/key", "first"));
            Assert.Equal("first", await store.BindKeyAsync("o/key", "second"));

            string[] files = Directory.EnumerateFiles(Path.Combine(root, "jobs")).Order().ToArray();
            DateTime[] after = files.Select(File.GetLastWriteTimeUtc).ToArray();
            Assert.Equal(1, before.Zip(after).Count(p => p.First != p.Second));
            JobIndexContents contents = await store.LoadAsync();
            Assert.Equal(JobPhase.Running, contents.Jobs.Single(j => j.JobId == "job-1").Phase);
            Assert.Equal("first", contents.Keys["o/key"]);
            Assert.Empty(contents.Unreadable);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static JobIndexEntry Entry(string id, string owner) => new(id, "physics", JobPhase.Queued, DateTimeOffset.UtcNow, null, Owner: owner);
}
