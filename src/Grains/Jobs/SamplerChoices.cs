using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>A job's join and blend (contract enums) as the sampler's own.</summary>
public static class SamplerChoices
{
    /// <summary>The sampler's join for <paramref name="join"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined join.</exception>
    public static Sampling.Windows.WindowJoin ToSampler(this WindowJoin join) => join switch
    {
        WindowJoin.CoDenoise => Sampling.Windows.WindowJoin.CoDenoise,
        WindowJoin.Independent => Sampling.Windows.WindowJoin.Independent,
        WindowJoin.Chained => Sampling.Windows.WindowJoin.Chained,
        _ => throw new ArgumentOutOfRangeException(nameof(join), join, "unknown join."),
    };

    /// <summary>The sampler's blend for <paramref name="blend"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined blend.</exception>
    public static Sampling.Windows.WindowBlend ToSampler(this WindowBlend blend) => blend switch
    {
        WindowBlend.Uniform => Sampling.Windows.WindowBlend.Uniform,
        WindowBlend.Linear => Sampling.Windows.WindowBlend.Linear,
        WindowBlend.Pyramid => Sampling.Windows.WindowBlend.Pyramid,
        _ => throw new ArgumentOutOfRangeException(nameof(blend), blend, "unknown blend."),
    };
}
