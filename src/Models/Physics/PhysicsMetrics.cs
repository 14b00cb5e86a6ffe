namespace Loom.Models.Physics;

/// <summary>Scores generated clips for physical correctness (ball tracking by colour against the simulator's truth).</summary>
public static class PhysicsMetrics
{
    /// <summary>Scores <paramref name="generated"/> (<c>[3, F, H, W]</c> in [-1, 1]) against <paramref name="truth"/>, from frame <paramref name="firstPredicted"/> on.</summary>
    public static PhysicsScore Score(float[] generated, PhysicsClip truth, int firstPredicted)
    {
        int frames = truth.Frames, height = truth.Height, width = truth.Width;
        var errors = new List<double>();
        int lost = 0, total = 0;
        var residuals = new List<double>();
        foreach (BallTrack ball in truth.Balls)
        {
            var path = new List<(int Frame, double X, double Y)>();
            for (int f = 0; f < frames; f++)
            {
                var sighting = BallTracker.Find(generated, frames, height, width, f, ball.Color, ball.Radius);
                if (!sighting.Lost)
                {
                    path.Add((f, sighting.X, sighting.Y));
                }
                if (f < firstPredicted)
                {
                    continue;
                }
                total++;
                if (sighting.Lost)
                {
                    lost++;
                }
                else
                {
                    errors.Add(Math.Sqrt(Math.Pow(sighting.X - ball.X[f], 2) + Math.Pow(sighting.Y - ball.Y[f], 2)));
                }
            }
            residuals.AddRange(ParabolaResiduals(path));
        }
        return new PhysicsScore(
            errors.Count == 0 ? double.NaN : errors.Average(),
            total == 0 ? 0 : (double)lost / total,
            residuals.Count == 0 ? double.NaN : Math.Sqrt(residuals.Average()),
            BackgroundPsnr(generated, truth, firstPredicted));
    }

    /// <summary>
    /// Parabola residual (RMS pixels) of an unconditional sample, whose balls are unknown: every palette colour is
    /// tracked with a typical radius, and each colour found in most frames contributes its bounce-free segments.
    /// NaN when no ball is tracked long enough.
    /// </summary>
    public static double UnconditionalParabolaResidual(float[] generated, int frames, int height, int width)
    {
        var residuals = new List<double>();
        foreach (float[] colour in PhysicsSimulator.Palette)
        {
            var path = new List<(int Frame, double X, double Y)>();
            for (int f = 0; f < frames; f++)
            {
                var sighting = BallTracker.Find(generated, frames, height, width, f, colour, 3.1);
                if (!sighting.Lost)
                {
                    path.Add((f, sighting.X, sighting.Y));
                }
            }
            if (path.Count * 2 >= frames)
            {
                residuals.AddRange(ParabolaResiduals(path));
            }
        }
        return residuals.Count == 0 ? double.NaN : Math.Sqrt(residuals.Average());
    }

    /// <summary>
    /// Squared residuals of a tracked path around <c>x = a + b t</c>, <c>y = c + d t + e t^2</c>, fitted on each run
    /// of consecutive tracked frames between bounces (where the vertical velocity turns from falling to rising or
    /// the horizontal one reverses), for runs of at least 5 frames. PisaBench-style free-fall check.
    /// </summary>
    public static IEnumerable<double> ParabolaResiduals(IReadOnlyList<(int Frame, double X, double Y)> path)
    {
        var segment = new List<(int Frame, double X, double Y)>();
        for (int i = 0; i <= path.Count; i++)
        {
            bool breaks = i == path.Count || (segment.Count > 0 && path[i].Frame != segment[^1].Frame + 1);
            if (!breaks && segment.Count >= 2)
            {
                double vy0 = segment[^1].Y - segment[^2].Y, vy1 = path[i].Y - segment[^1].Y;
                double vx0 = segment[^1].X - segment[^2].X, vx1 = path[i].X - segment[^1].X;
                breaks = (vy0 > 0.3 && vy1 < -0.3) || (Math.Abs(vx0) > 0.3 && Math.Sign(vx0) == -Math.Sign(vx1) && Math.Abs(vx1) > 0.3);
            }
            if (breaks)
            {
                if (segment.Count >= 5)
                {
                    foreach (double r in Fit(segment))
                    {
                        yield return r;
                    }
                }
                segment.Clear();
            }
            if (i < path.Count)
            {
                segment.Add(path[i]);
            }
        }
    }

    private static IEnumerable<double> Fit(List<(int Frame, double X, double Y)> segment)
    {
        double[] t = segment.Select(p => (double)p.Frame - segment[0].Frame).ToArray();
        double[] xFit = LeastSquares(t, segment.Select(p => p.X).ToArray(), 2);
        double[] yFit = LeastSquares(t, segment.Select(p => p.Y).ToArray(), 3);
        for (int i = 0; i < t.Length; i++)
        {
            double dx = segment[i].X - (xFit[0] + xFit[1] * t[i]);
            double dy = segment[i].Y - (yFit[0] + yFit[1] * t[i] + yFit[2] * t[i] * t[i]);
            yield return dx * dx + dy * dy;
        }
    }

    /// <summary>Polynomial least squares with <paramref name="terms"/> coefficients, by the normal equations.</summary>
    private static double[] LeastSquares(double[] t, double[] values, int terms)
    {
        var a = new double[terms, terms + 1];
        for (int i = 0; i < t.Length; i++)
        {
            for (int r = 0; r < terms; r++)
            {
                for (int c = 0; c < terms; c++)
                {
                    a[r, c] += Math.Pow(t[i], r + c);
                }
                a[r, terms] += Math.Pow(t[i], r) * values[i];
            }
        }
        for (int col = 0; col < terms; col++)
        {
            for (int row = col + 1; row < terms; row++)
            {
                double factor = a[row, col] / a[col, col];
                for (int k = col; k <= terms; k++)
                {
                    a[row, k] -= factor * a[col, k];
                }
            }
        }
        var solution = new double[terms];
        for (int row = terms - 1; row >= 0; row--)
        {
            double sum = a[row, terms];
            for (int k = row + 1; k < terms; k++)
            {
                sum -= a[row, k] * solution[k];
            }
            solution[row] = sum / a[row, row];
        }
        return solution;
    }

    private static double BackgroundPsnr(float[] generated, PhysicsClip truth, int firstPredicted)
    {
        int frames = truth.Frames, height = truth.Height, width = truth.Width, plane = height * width;
        double squared = 0;
        long count = 0;
        for (int f = firstPredicted; f < frames; f++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    // Away from every true ball by more than its radius plus 3 pixels, and not ball-coloured (a generated ball elsewhere).
                    if (truth.Balls.Any(b => Math.Pow(x + 0.5 - b.X[f], 2) + Math.Pow(y + 0.5 - b.Y[f], 2) < Math.Pow(b.Radius + 3, 2))
                        || truth.Balls.Any(b => BallTracker.Closeness(generated, frames, plane, f, y * width + x, b.Color) > 0))
                    {
                        continue;
                    }
                    for (int c = 0; c < 3; c++)
                    {
                        double d = generated[(c * frames + f) * plane + y * width + x] - truth.Background[c * plane + y * width + x];
                        squared += d * d;
                        count++;
                    }
                }
            }
        }
        return count == 0 ? double.NaN : 10 * Math.Log10(4.0 / Math.Max(1e-12, squared / count));
    }
}
