using Loom.Contracts.Shards;

namespace Loom.Grains.Routing;

/// <summary>
/// What a window of a latent-space job (Wan) sends beyond given frames: its named conditioning tensors (the prompts'
/// embeddings, an image-to-video window's condition), shipped once per shard under their content hash, and the guidance
/// of the expert that serves a timestep (Wan2.2 A14B guides its two experts differently), and that expert's name, which
/// placement matches against the experts each shard holds.
/// </summary>
/// <param name="Tensors">The window's conditioning tensors.</param>
/// <param name="GuidanceAt">The guidance scale at a timestep.</param>
/// <param name="ExpertAt">The expert that serves a timestep; null for a one-transformer model.</param>
public sealed record WindowInputs(IReadOnlyList<ConditioningTensor> Tensors, Func<double, double> GuidanceAt, Func<double, string>? ExpertAt = null);
