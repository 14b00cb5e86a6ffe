namespace Loom.Models.Physics;

/// <summary>Predictors that need no model, from the two given frames; the world model must beat them on centroid error.</summary>
public static class PhysicsBaselines
{
    /// <summary>Every predicted frame is a copy of the last given frame; scored like a generated clip.</summary>
    public static PhysicsScore CopyLastFrame(PhysicsClip truth, int given)
    {
        int plane = truth.Height * truth.Width;
        var pixels = (float[])truth.Pixels.Clone();
        for (int c = 0; c < 3; c++)
        {
            for (int f = given; f < truth.Frames; f++)
            {
                Array.Copy(truth.Pixels, (c * truth.Frames + given - 1) * plane, pixels, (c * truth.Frames + f) * plane, plane);
            }
        }
        return PhysicsMetrics.Score(pixels, truth, given);
    }

    /// <summary>
    /// Each ball, tracked in the last two given frames, keeps its velocity: <c>p_f = p_last + (f - last) v</c>.
    /// Only positions exist, so only centroid error and track loss (of the given frames) are scored.
    /// </summary>
    public static PhysicsScore ConstantVelocity(PhysicsClip truth, int given)
    {
        var errors = new List<double>();
        int lost = 0, total = 0;
        foreach (BallTrack ball in truth.Balls)
        {
            var before = BallTracker.Find(truth.Pixels, truth.Frames, truth.Height, truth.Width, given - 2, ball.Color, ball.Radius);
            var last = BallTracker.Find(truth.Pixels, truth.Frames, truth.Height, truth.Width, given - 1, ball.Color, ball.Radius);
            for (int f = given; f < truth.Frames; f++)
            {
                total++;
                if (before.Lost || last.Lost)
                {
                    lost++;
                    continue;
                }
                double x = last.X + (f - given + 1) * (last.X - before.X), y = last.Y + (f - given + 1) * (last.Y - before.Y);
                errors.Add(Math.Sqrt(Math.Pow(x - ball.X[f], 2) + Math.Pow(y - ball.Y[f], 2)));
            }
        }
        return new PhysicsScore(errors.Count == 0 ? double.NaN : errors.Average(), total == 0 ? 0 : (double)lost / total, double.NaN, double.NaN);
    }
}
