using Loom.Sampling.Fields;
using Loom.Sampling.Sampler;

namespace Loom.Sampling.Windows;

/// <summary>A co-denoising run set up by <see cref="WindowedSampler.StartCoDenoise"/>: step its sampler, then dispose.</summary>
public sealed class CoDenoiseRun : IDisposable
{
    private readonly ConditionedFrames? _conditioned;
    private readonly List<FrameConditioning> _slices;

    internal CoDenoiseRun(SelfRefiningSampler sampler, ConditionedFrames? conditioned, List<FrameConditioning> slices)
    {
        Sampler = sampler;
        _conditioned = conditioned;
        _slices = slices;
    }

    /// <summary>The sampler over the fused field; call <see cref="SelfRefiningSampler.StepAsync"/> per step.</summary>
    public SelfRefiningSampler Sampler { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        _conditioned?.Dispose();
        lock (_slices)
        {
            _slices.ForEach(s => s.Clean.Dispose());
        }
    }
}
