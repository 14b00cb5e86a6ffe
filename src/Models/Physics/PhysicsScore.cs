namespace Loom.Models.Physics;

/// <summary>Physical correctness of one generated clip against its simulated ground truth.</summary>
/// <param name="CentroidError">Mean distance (pixels) between tracked and true ball centres over predicted frames where the ball was tracked; NaN if never.</param>
/// <param name="TrackLoss">Share of (ball, predicted frame) pairs where the ball vanished, split or smeared.</param>
/// <param name="ParabolaResidual">RMS (pixels) of the tracked path around a parabola fitted per bounce-free segment; NaN if no segment is long enough.</param>
/// <param name="BackgroundPsnr">PSNR (dB, range [-1, 1]) of pixels well away from every ball against the true static background.</param>
public sealed record PhysicsScore(double CentroidError, double TrackLoss, double ParabolaResidual, double BackgroundPsnr);
