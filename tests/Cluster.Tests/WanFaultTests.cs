using Loom.Contracts.Jobs;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Loom.Cluster.Tests;

/// <summary>
/// Silos die (SIGKILL) while a multi-window Wan job on a tiny random-weight model runs over silo processes; the job still
/// finishes with the in-process <see cref="WanPipeline"/>'s bits: the same latent and the same decoded frames.
/// </summary>
public sealed class WanFaultTests(ITestOutputHelper output)
{
    private const string Model = "wan-t2v";

    [Fact]
    public async Task Killing_a_silo_that_evaluates_a_Wan_jobs_windows_and_then_the_silo_that_runs_it_still_gives_the_in_process_bits()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string models = WanJobTests.ModelsWith(Model, WanKind.T2V);
        try
        {
            // One request per forward: the job's four concurrent requests a step (two windows, each with and without the
            // prompt) cannot all batch into its own silo's shard, so the router sends some to the other silos' shards.
            await using LoomTestCluster cluster = await LoomTestCluster.StartAsync(silos: 3, shardsPerSilo: 1, new Dictionary<string, string> { ["ModelDirectory"] = models, ["MaxBatch"] = "1" });
            output.WriteLine($"cluster up {clock.Elapsed}");
            // 17 frames (5 latent) in two co-denoised windows of 9 sharing 1 latent frame; 24 steps, P&P at steps 1-8.
            JobSpec spec = WanJobTests.Short(Model, seed: 41, frames: 17) with { Steps = 24, Plan = "1-8:1" };
            await cluster.SubmitAsync("wan-kill", spec);

            // 1. A silo other than the job's own has evaluated windows of it: it dies; its windows are retried elsewhere.
            JobStatus running = await cluster.WaitAsync("wan-kill", s => s.IsFinal || (s.StepsDone >= 2 && s.Shards.Any(shard => SiloOf(shard) != s.Host)));
            Assert.False(running.IsFinal, $"the job must still be running when a silo dies: {running.Phase} {running.Error}");
            string victim = running.Shards.Select(SiloOf).First(silo => silo != running.Host);
            output.WriteLine($"kill shards at step {running.StepsDone} {clock.Elapsed}");
            await cluster.SiloOf(victim).KillAsync();

            // 2. Steps later, the silo that runs the job (and evaluates windows too) dies: the job resumes from its checkpoint
            // on the last silo, which encodes the prompts itself (embeddings are not part of the checkpoint).
            JobStatus later = await cluster.WaitAsync("wan-kill", s => s.IsFinal || s.StepsDone >= running.StepsDone + 2);
            Assert.False(later.IsFinal, $"the job must still be running when its silo dies: {later.Phase} {later.Error}");
            Assert.Equal(running.Host, later.Host);
            output.WriteLine($"kill host at step {later.StepsDone} {clock.Elapsed}");
            await cluster.SiloOf(later.Host).KillAsync();

            JobStatus done = await cluster.WaitFinalAsync("wan-kill", TimeSpan.FromMinutes(3));
            output.WriteLine($"done {clock.Elapsed}");
            Assert.True(done.Phase == JobPhase.Completed, $"{done.Phase}: {done.Error}");
            Assert.DoesNotContain(done.Host, new[] { victim, later.Host });
            Assert.True(done.Resumes >= 1, "the loop must have been resumed from a checkpoint");
            Assert.Contains("job wan-kill: prompt from the text encoder", cluster.SiloOf(done.Host).Log, StringComparison.Ordinal);

            WanRenderResult reference = await WanJobTests.InProcessAsync(Path.Combine(models, Model), spec);
            output.WriteLine($"reference {clock.Elapsed}");
            Assert.Equal(2, reference.Windows);
            Assert.Equal(reference.LatentSha256, done.LatentSha256);
            var (tensors, _) = SafeTensors.Load(done.OutputPath!);
            using Tensor video = tensors["video"];
            tensors["latent"].Dispose();
            Assert.Equal(new long[] { 17, 32, 32, 3 }, video.shape);
            Assert.Equal(reference.Rgb, video.bytes.ToArray());
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    private static string SiloOf(string shard) => shard[..shard.LastIndexOf('/')];
}
