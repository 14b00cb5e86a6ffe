using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Noise;

/// <summary>
/// Every noise tensor of a run is a pure function of (seed, step, iteration) over one sample's whole latent
/// shape, drawn on the CPU in float32. A job split into other windows, moved to another shard or resumed from a
/// checkpoint therefore sees the same noise, bit for bit.
/// </summary>
public static class DeterministicNoise
{
    /// <summary>The step tag of the initial latent (pure noise at sigma 1).</summary>
    public const int InitialStep = -1;

    /// <summary>Standard normal noise for one sample: shape <paramref name="sampleShape"/>, no batch axis.</summary>
    public static Tensor Sample(long seed, int step, int iteration, ReadOnlySpan<long> sampleShape)
    {
        using var generator = new Generator(StreamSeed(seed, step, iteration), new Device(DeviceType.CPU));
        using var noGrad = no_grad();
        return randn(sampleShape.ToArray(), dtype: float32, device: CPU, generator: generator);
    }

    /// <summary>
    /// Noise for a batch: sample b is <see cref="Sample"/> with <c>seeds[b]</c>, so a batch equals its samples drawn
    /// alone. Returns <c>[B, ...sampleShape]</c> on <paramref name="device"/> in <paramref name="dtype"/>.
    /// </summary>
    /// <param name="seeds">One seed per sample.</param>
    /// <param name="step">Outer step, or <see cref="InitialStep"/>.</param>
    /// <param name="iteration">Refinement iteration (0 for the initial latent).</param>
    /// <param name="sampleShape">Shape of one sample's latent (of the slice, when <paramref name="slice"/> is given).</param>
    /// <param name="dtype">Element type of the result (noise is drawn in float32).</param>
    /// <param name="device">Device of the result.</param>
    /// <param name="slice">When the latent is a window of a larger one: draw the whole and narrow it.</param>
    public static Tensor Batch(
        IReadOnlyList<long> seeds,
        int step,
        int iteration,
        ReadOnlySpan<long> sampleShape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        NoiseSlice? slice = null)
    {
        long[] shape = sampleShape.ToArray();
        if (slice is not null)
        {
            shape[slice.Dimension - 1] = slice.FullLength;
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var samples = new Tensor[seeds.Count];
        for (int b = 0; b < seeds.Count; b++)
        {
            samples[b] = Sample(seeds[b], step, iteration, shape);
        }
        Tensor noise = stack(samples);
        if (slice is not null)
        {
            noise = noise.narrow(slice.Dimension, slice.Start, sampleShape[slice.Dimension - 1]).contiguous();
        }
        return noise.to(dtype, device ?? CPU).DetachFromDisposeScope();
    }

    /// <summary>The initial latent of a batch: noise tagged <see cref="InitialStep"/>.</summary>
    public static Tensor Initial(IReadOnlyList<long> seeds, ReadOnlySpan<long> sampleShape, ScalarType dtype = ScalarType.Float32, Device? device = null, NoiseSlice? slice = null)
        => Batch(seeds, InitialStep, 0, sampleShape, dtype, device, slice);

    /// <summary>The generator seed of one noise stream: SplitMix64 over (seed, step, iteration).</summary>
    public static ulong StreamSeed(long seed, int step, int iteration)
    {
        ulong h = Mix64((ulong)seed);
        h = Mix64(h ^ (ulong)(uint)step);
        h = Mix64(h ^ ((ulong)(uint)iteration << 32));
        return h;
    }

    /// <summary>SplitMix64's finaliser: a bijective 64-bit mix, so distinct inputs never collide.</summary>
    public static ulong Mix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
