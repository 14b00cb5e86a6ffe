namespace Loom.Models.Physics;

/// <summary>
/// A simulated clip: frames <c>[3, F, H, W]</c> as floats in [-1, 1] (channel-major, then frame, row, column), the
/// static background <c>[3, H, W]</c> in the same range, and every ball's ground-truth track.
/// </summary>
public sealed record PhysicsClip(long Seed, SceneKind Kind, int Frames, int Height, int Width, float[] Pixels, float[] Background, IReadOnlyList<BallTrack> Balls);
