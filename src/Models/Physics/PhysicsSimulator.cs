using Loom.Sampling.Noise;

namespace Loom.Models.Physics;

/// <summary>
/// Procedural physics clips: 1-3 coloured balls under gravity over a static textured background, bouncing off the
/// floor, walls and ceiling with restitution and off each other elastically, rendered anti-aliased. A clip is a pure
/// function of its seed (and size), so train, validation and test sets are just disjoint seed ranges.
/// </summary>
public sealed class PhysicsSimulator(int height = 32, int width = 32)
{
    /// <summary>Gravity in pixels per frame squared.</summary>
    public const double Gravity = 0.30;

    private const int Substeps = 8;

    /// <summary>The three ball colours, saturated so a tracker can find them against the muted background.</summary>
    public static readonly float[][] Palette = [[0.95f, 0.15f, 0.10f], [0.10f, 0.85f, 0.20f], [0.15f, 0.35f, 1.00f]];

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; } = height;

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; } = width;

    /// <summary>The scene kind a seed produces (uniform over kinds).</summary>
    public static SceneKind KindOf(long seed) => (SceneKind)(int)(DeterministicNoise.Mix64((ulong)seed) % 4);

    /// <summary>Simulates and renders the clip of <paramref name="seed"/> with <paramref name="frames"/> frames.</summary>
    public PhysicsClip Generate(long seed, int frames)
    {
        if (frames < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "a clip needs at least 2 frames.");
        }
        var random = new Random((int)(DeterministicNoise.Mix64((ulong)seed ^ 0x5EED) & 0x7FFFFFFF));
        SceneKind kind = KindOf(seed);
        Ball[] balls = Place(kind, random);
        var tracks = balls.Select(b => (X: new double[frames], Y: new double[frames])).ToArray();
        for (int f = 0; f < frames; f++)
        {
            for (int b = 0; b < balls.Length; b++)
            {
                tracks[b].X[f] = balls[b].X;
                tracks[b].Y[f] = balls[b].Y;
            }
            for (int s = 0; s < Substeps; s++)
            {
                Advance(balls, 1.0 / Substeps);
            }
        }
        float[] background = Background(random);
        var ballTracks = balls.Select((b, i) => new BallTrack(b.Color, b.Radius, tracks[i].X, tracks[i].Y)).ToArray();
        return new PhysicsClip(seed, kind, frames, Height, Width, Render(background, ballTracks, frames), background, ballTracks);
    }

    private Ball[] Place(SceneKind kind, Random random)
    {
        double R(double lo, double hi) => lo + (hi - lo) * random.NextDouble();
        int first = random.Next(3);
        Ball Make(int slot, double x, double y, double vx, double vy) =>
            new(Palette[(first + slot) % 3], R(2.6, 3.6), x, y, vx, vy, R(0.70, 0.90));
        return kind switch
        {
            SceneKind.FreeFall => [Make(0, R(6, Width - 6), R(4, 8), 0, 0)],
            SceneKind.Projectile => [Throw(Make(0, R(5, 9), R(Height * 0.45, Height * 0.7), R(0.8, 1.6), R(-2.6, -1.6)), fromLeft: random.Next(2) == 0)],
            SceneKind.Bounce => [Make(0, R(6, Width - 6), R(Height * 0.35, Height * 0.6), R(-0.6, 0.6), R(0.5, 1.5))],
            _ => Enumerable.Range(0, 2 + random.Next(2)).Select(i =>
            {
                double x = (i + 0.5) * Width / 3.0 + R(-2, 2);
                return Make(i, x, R(Height * 0.3, Height * 0.7), (x < Width / 2.0 ? 1 : -1) * R(1.0, 2.0), R(-1.5, 0.5));
            }).ToArray(),
        };
    }

    private Ball Throw(Ball ball, bool fromLeft) => fromLeft ? ball : ball with { X = Width - ball.X, VX = -ball.VX };

    private void Advance(Ball[] balls, double dt)
    {
        for (int i = 0; i < balls.Length; i++)
        {
            Ball b = balls[i];
            double vy = b.VY + Gravity * dt;
            double x = b.X + b.VX * dt, y = b.Y + (b.VY + vy) * 0.5 * dt; // exact for constant gravity
            double vx = b.VX;
            if (y > Height - b.Radius && vy > 0) { y = 2 * (Height - b.Radius) - y; vy = -vy * b.Restitution; }
            if (y < b.Radius && vy < 0) { y = 2 * b.Radius - y; vy = -vy * b.Restitution; }
            if (x > Width - b.Radius && vx > 0) { x = 2 * (Width - b.Radius) - x; vx = -vx * b.Restitution; }
            if (x < b.Radius && vx < 0) { x = 2 * b.Radius - x; vx = -vx * b.Restitution; }
            balls[i] = b with { X = x, Y = y, VX = vx, VY = vy };
        }
        for (int i = 0; i < balls.Length; i++)
        {
            for (int j = i + 1; j < balls.Length; j++)
            {
                Collide(ref balls[i], ref balls[j]);
            }
        }
    }

    /// <summary>Elastic collision of two discs with mass proportional to area, along the line of centres.</summary>
    private static void Collide(ref Ball a, ref Ball b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y, distance = Math.Sqrt(dx * dx + dy * dy), reach = a.Radius + b.Radius;
        if (distance >= reach || distance < 1e-9)
        {
            return;
        }
        double nx = dx / distance, ny = dy / distance;
        double approach = (a.VX - b.VX) * nx + (a.VY - b.VY) * ny;
        double ma = a.Radius * a.Radius, mb = b.Radius * b.Radius;
        if (approach > 0)
        {
            double impulse = 2 * approach / (ma + mb);
            a = a with { VX = a.VX - impulse * mb * nx, VY = a.VY - impulse * mb * ny };
            b = b with { VX = b.VX + impulse * ma * nx, VY = b.VY + impulse * ma * ny };
        }
        double push = (reach - distance) / 2; // separate overlapping discs
        a = a with { X = a.X - push * nx, Y = a.Y - push * ny };
        b = b with { X = b.X + push * nx, Y = b.Y + push * ny };
    }

    /// <summary>A muted, low-frequency texture: not flat, so over-refinement of a static background shows.</summary>
    private float[] Background(Random random)
    {
        var pixels = new float[3 * Height * Width];
        double[] tint = [0.45 + 0.1 * random.NextDouble(), 0.42 + 0.1 * random.NextDouble(), 0.38 + 0.1 * random.NextDouble()];
        var waves = Enumerable.Range(0, 4).Select(_ => (Fx: random.NextDouble() * 0.5, Fy: random.NextDouble() * 0.5, Phase: random.NextDouble() * 6.3)).ToArray();
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                double texture = waves.Sum(w => Math.Sin(w.Fx * x + w.Fy * y + w.Phase)) / waves.Length;
                double checker = ((x / 4 + y / 4) % 2 == 0) ? 0.04 : -0.04;
                for (int c = 0; c < 3; c++)
                {
                    double value = tint[c] + 0.12 * texture + checker;
                    pixels[(c * Height + y) * Width + x] = (float)(2 * value - 1);
                }
            }
        }
        return pixels;
    }

    private float[] Render(float[] background, BallTrack[] balls, int frames)
    {
        int plane = Height * Width;
        var pixels = new float[3 * frames * plane];
        for (int f = 0; f < frames; f++)
        {
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    float r = background[y * Width + x], g = background[plane + y * Width + x], bl = background[2 * plane + y * Width + x];
                    foreach (BallTrack ball in balls)
                    {
                        // Coverage of the pixel by the disc, from the distance of its centre to the ball's edge.
                        double distance = Math.Sqrt(Math.Pow(x + 0.5 - ball.X[f], 2) + Math.Pow(y + 0.5 - ball.Y[f], 2));
                        float alpha = (float)Math.Clamp(ball.Radius + 0.5 - distance, 0.0, 1.0);
                        r += alpha * (2 * ball.Color[0] - 1 - r);
                        g += alpha * (2 * ball.Color[1] - 1 - g);
                        bl += alpha * (2 * ball.Color[2] - 1 - bl);
                    }
                    pixels[(0 * frames + f) * plane + y * Width + x] = r;
                    pixels[(1 * frames + f) * plane + y * Width + x] = g;
                    pixels[(2 * frames + f) * plane + y * Width + x] = bl;
                }
            }
        }
        return pixels;
    }

    private readonly record struct Ball(float[] Color, double Radius, double X, double Y, double VX, double VY, double Restitution);
}
