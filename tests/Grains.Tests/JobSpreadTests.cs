using Loom.Grains.Shards;

namespace Loom.Grains.Tests;

/// <summary>New jobs fill every silo's shards evenly when one place decides for the cluster.</summary>
public sealed class JobSpreadTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, int> Silos(int count, int shards)
        => Enumerable.Range(0, count).ToDictionary(i => $"silo-{i}", _ => shards);

    [Fact]
    public void A_burst_of_64_jobs_through_four_gateways_fills_four_silos_of_16_shards_16_each()
    {
        var spread = new JobSpread(TimeSpan.FromSeconds(1));
        Dictionary<string, int> silos = Silos(4, 16);
        // Arrival by gateway as a client's hashing gave it (the 17/17/15/15 seen in the scaling benchmark), interleaved.
        string[] gateways = [.. Enumerable.Repeat("silo-0", 17), .. Enumerable.Repeat("silo-1", 17), .. Enumerable.Repeat("silo-2", 15), .. Enumerable.Repeat("silo-3", 15)];
        var order = gateways.Select((g, i) => (g, i)).OrderBy(x => (x.i * 37) % gateways.Length).Select(x => x.g).ToArray();
        var placed = order.Select((gateway, i) => spread.Place(gateway, silos, localRunning: 0, Start.AddMilliseconds(i * 3))).ToArray();
        Assert.All(silos.Keys, silo => Assert.Equal(16, placed.Count(p => p == silo)));
    }

    [Fact]
    public void The_calling_silo_keeps_a_job_while_it_has_a_shard_free_counting_what_it_runs()
    {
        var spread = new JobSpread(TimeSpan.FromSeconds(1));
        Dictionary<string, int> silos = Silos(2, 4);
        Assert.Equal("silo-1", spread.Place("silo-1", silos, localRunning: 3, Start));
        Assert.Equal("silo-0", spread.Place("silo-1", silos, localRunning: 4, Start));
    }

    [Fact]
    public void Placements_older_than_recent_no_longer_count()
    {
        var spread = new JobSpread(TimeSpan.FromSeconds(1));
        Dictionary<string, int> silos = Silos(2, 1);
        Assert.Equal("silo-0", spread.Place("silo-0", silos, 0, Start));
        Assert.Equal("silo-1", spread.Place("silo-0", silos, 0, Start.AddMilliseconds(500)));
        Assert.Equal("silo-0", spread.Place("silo-0", silos, 0, Start.AddSeconds(2)));
    }

    [Fact]
    public void A_full_cluster_places_on_the_least_loaded_silo_and_no_candidate_names_the_argument()
    {
        var spread = new JobSpread(TimeSpan.FromSeconds(1));
        var silos = new Dictionary<string, int> { ["big"] = 4, ["small"] = 1 };
        string[] placed = Enumerable.Range(0, 10).Select(i => spread.Place("small", silos, 0, Start)).ToArray();
        Assert.Equal(8, placed.Count(p => p == "big"));
        Assert.Equal("shards", Assert.Throws<ArgumentException>(() => spread.Place("x", new Dictionary<string, int>(), 0, Start)).ParamName);
    }
}
