using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Grains.Tests;

/// <summary>Where a job's resident windows go (<see cref="ShardResidency"/>) and which jobs run on them (<see cref="ShardJobFields.UsesResident"/>).</summary>
public sealed class ResidentPlacementTests
{
    [Fact]
    public void Windows_go_to_the_least_loaded_shards_and_consecutive_windows_to_consecutive_shards()
    {
        // Three windows over six shards take every other shard: the even ones carry another job's windows.
        int[] load = [1, 0, 1, 0, 1, 0];
        int offset = ShardResidency.LeastLoadedOffset(load, windows: 3, preferred: 0);

        Assert.Equal([1, 3, 5], Enumerable.Range(0, 3).Select(w => ShardResidency.ShardOf(offset, w, 3, load.Length)));
        // More windows than shards: consecutive windows share a shard, and every shard is used.
        Assert.Equal([2, 2, 3, 3, 0, 0, 1, 1], Enumerable.Range(0, 8).Select(w => ShardResidency.ShardOf(2, w, 8, 4)));
    }

    [Fact]
    public void Of_equally_loaded_offsets_the_jobs_own_is_kept_so_concurrent_jobs_spread()
    {
        Assert.Equal(4, ShardResidency.LeastLoadedOffset([0, 0, 0, 0, 0, 0], windows: 2, preferred: 4));
        // Offsets 1 and 4 both take the idle shards 1 and 4: the first from the preferred one on wins, not the lowest index.
        Assert.Equal(4, ShardResidency.LeastLoadedOffset([1, 0, 1, 1, 0, 1], windows: 2, preferred: 3));
        Assert.Equal(1, ShardResidency.LeastLoadedOffset([1, 0, 1, 1, 0, 1], windows: 2, preferred: 5));
    }

    [Fact]
    public void Only_co_denoised_jobs_of_two_windows_or_more_on_a_model_without_experts_run_resident()
    {
        JobRecipe six = JobRecipe.Resolve(new JobSpec(Frames: 26, Steps: 3, Plan: "1:1", WindowLength: 6, WindowOverlap: 2, Seed: 1));
        JobRecipe one = JobRecipe.Resolve(Specs.Tiny(1));

        Assert.True(ShardJobFields.UsesResident(option: true, six, byExpert: false));
        Assert.False(ShardJobFields.UsesResident(option: false, six, byExpert: false));
        Assert.False(ShardJobFields.UsesResident(option: true, six, byExpert: true));
        Assert.False(ShardJobFields.UsesResident(option: true, one, byExpert: false));
    }
}
