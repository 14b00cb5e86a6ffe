namespace Loom.Models.Physics;

/// <summary>
/// Finds a ball of a known colour in a frame: pixels weighted by closeness to the colour (the background is muted,
/// so it scores 0), centroid = weighted mean of pixel centres. A track is lost in a frame when the colour mass is far
/// from one disc's area (vanished, or smeared/duplicated) or spread much wider than a disc (split).
/// </summary>
public static class BallTracker
{
    private const double ColourReach = 0.45;

    /// <summary>Where a ball was found in one frame.</summary>
    /// <param name="X">Centroid x (pixels).</param>
    /// <param name="Y">Centroid y (pixels).</param>
    /// <param name="Mass">Colour mass (about the disc's area for a clean ball).</param>
    /// <param name="Lost">True when the ball vanished, split or smeared.</param>
    public readonly record struct Sighting(double X, double Y, double Mass, bool Lost);

    /// <summary>How close pixel <paramref name="index"/> of <paramref name="frame"/> is to <paramref name="colour"/>: 1 exact, 0 at or beyond the reach.</summary>
    public static double Closeness(float[] pixels, int frames, int plane, int frame, int index, float[] colour)
    {
        double distance = 0;
        for (int c = 0; c < 3; c++)
        {
            double value = (pixels[(c * frames + frame) * plane + index] + 1) / 2;
            distance += (value - colour[c]) * (value - colour[c]);
        }
        return Math.Clamp(1 - Math.Sqrt(distance) / ColourReach, 0, 1);
    }

    /// <summary>Tracks the ball of <paramref name="colour"/> (RGB in [0, 1]) and <paramref name="radius"/> in frame <paramref name="frame"/>.</summary>
    /// <param name="pixels">Video <c>[3, F, H, W]</c> in [-1, 1].</param>
    public static Sighting Find(float[] pixels, int frames, int height, int width, int frame, float[] colour, double radius)
    {
        double mass = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
        int plane = height * width;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double weight = Closeness(pixels, frames, plane, frame, y * width + x, colour);
                if (weight <= 0)
                {
                    continue;
                }
                double px = x + 0.5, py = y + 0.5;
                mass += weight;
                sx += weight * px;
                sy += weight * py;
                sxx += weight * px * px;
                syy += weight * py * py;
            }
        }
        double area = Math.PI * radius * radius;
        if (mass < 0.3 * area)
        {
            return new Sighting(double.NaN, double.NaN, mass, true);
        }
        double cx = sx / mass, cy = sy / mass;
        double spread = Math.Sqrt(Math.Max(0, sxx / mass - cx * cx + syy / mass - cy * cy)); // a disc: radius / sqrt(2)
        bool lost = mass > 2.5 * area || spread > 1.8 * radius / Math.Sqrt(2) + 0.5;
        return new Sighting(cx, cy, mass, lost);
    }
}
