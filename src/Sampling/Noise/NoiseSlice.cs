namespace Loom.Sampling.Noise;

/// <summary>
/// A latent that is a slice of a larger one (a temporal window of a video): its noise is the whole latent's noise,
/// narrowed, so it never depends on how the video was cut.
/// </summary>
/// <param name="Dimension">Axis of the batched latent <c>[B, C, F, ...]</c> that is sliced (2 for frames).</param>
/// <param name="Start">First index of the slice along that axis.</param>
/// <param name="FullLength">Length of the whole latent along that axis.</param>
public sealed record NoiseSlice(int Dimension, long Start, long FullLength);
