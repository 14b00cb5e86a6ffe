namespace Loom.Models.Physics;

/// <summary>One ball of a clip: its colour, radius and ground-truth centre per frame (pixels, y down).</summary>
/// <param name="Color">RGB in [0, 1].</param>
/// <param name="Radius">Radius in pixels.</param>
/// <param name="X">Centre x per frame.</param>
/// <param name="Y">Centre y per frame.</param>
public sealed record BallTrack(float[] Color, double Radius, double[] X, double[] Y);
