using Loom.Sampling.Refinement;
using Loom.Sampling.Sampler;
using Loom.Sampling.Schedules;
using static TorchSharp.torch;

namespace Loom.Sampling.Tests;

[CollectionDefinition(nameof(TensorHygieneTests), DisableParallelization = true)]
public sealed class TensorHygieneCollection;

/// <summary>Counts live native tensors process-wide, so it runs alone.</summary>
[Collection(nameof(TensorHygieneTests))]
public sealed class TensorHygieneTests
{
    [Fact]
    public async Task A_long_refined_run_leaks_no_tensors()
    {
        var schedule = FlowSchedule.Create(60, 3.0);
        var options = new RefinementOptions(RefinementPlan.Parse("0-40:3"), tau: 0.05);
        var sampler = new SelfRefiningSampler(FunctionField.Nonlinear(), schedule, options);
        (await sampler.SampleAsync([1, 2], [3, 4, 4])).Dispose(); // warm up lazily created natives

        long before = LiveTensors();
        using (SampleResult result = await sampler.SampleAsync([1, 2], [3, 4, 4]))
        {
            Assert.True(result.Predictions > 100);
            Assert.Equal(before + 1, LiveTensors()); // only the result
        }
        Assert.Equal(before, LiveTensors());
    }

    private static long LiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Tensor.TotalCount;
    }
}
