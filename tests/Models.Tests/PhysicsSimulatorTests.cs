using Loom.Models.Physics;

namespace Loom.Models.Tests;

public sealed class PhysicsSimulatorTests
{
    private readonly PhysicsSimulator _simulator = new();

    [Fact]
    public void A_clip_is_a_pure_function_of_its_seed()
    {
        PhysicsClip a = _simulator.Generate(42, 16), b = _simulator.Generate(42, 16), c = _simulator.Generate(43, 16);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.NotEqual(a.Pixels, c.Pixels);
        Assert.Equal(3 * 16 * 32 * 32, a.Pixels.Length);
        Assert.All(a.Pixels, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Every_scene_kind_occurs_and_collisions_have_several_balls()
    {
        var clips = Enumerable.Range(1, 200).Select(s => _simulator.Generate(s, 4)).ToArray();
        Assert.Equal(4, clips.Select(c => c.Kind).Distinct().Count());
        Assert.All(clips.Where(c => c.Kind == SceneKind.Collision), c => Assert.InRange(c.Balls.Count, 2, 3));
        Assert.All(clips.Where(c => c.Kind != SceneKind.Collision), c => Assert.Single(c.Balls));
    }

    [Fact]
    public void A_free_fall_follows_gravity_until_it_meets_the_floor()
    {
        PhysicsClip clip = Enumerable.Range(1, 100).Select(s => _simulator.Generate(s, 10)).First(c => c.Kind == SceneKind.FreeFall);
        BallTrack ball = clip.Balls[0];
        for (int f = 0; f < 10; f++)
        {
            Assert.Equal(ball.Y[0] + 0.5 * PhysicsSimulator.Gravity * f * f, ball.Y[f], 6);
            Assert.Equal(ball.X[0], ball.X[f], 9);
        }
    }

    [Fact]
    public void Bounces_lose_energy_and_balls_stay_inside_the_frame()
    {
        foreach (PhysicsClip clip in Enumerable.Range(1, 60).Select(s => _simulator.Generate(s, 48)))
        {
            foreach (BallTrack ball in clip.Balls)
            {
                Assert.All(ball.X, x => Assert.InRange(x, ball.Radius - 1.5, 32 - ball.Radius + 1.5));
                Assert.All(ball.Y, y => Assert.InRange(y, ball.Radius - 1.5, 32 - ball.Radius + 1.5));
            }
        }
        PhysicsClip bounce = Enumerable.Range(1, 100).Select(s => _simulator.Generate(s, 48)).First(c => c.Kind == SceneKind.Bounce);
        double[] y = bounce.Balls[0].Y;
        double firstPeak = Enumerable.Range(1, 46).Where(f => y[f] < y[f - 1] && y[f] <= y[f + 1]).Select(f => y[f]).FirstOrDefault(double.NaN);
        Assert.False(double.IsNaN(firstPeak), "the ball should rise again after its first bounce");
        Assert.True(firstPeak > y.Take(3).Min(), "a bounce with restitution < 1 cannot climb back to where the ball started");
    }

    [Fact]
    public void The_tracker_finds_true_balls_within_a_fraction_of_a_pixel_and_the_truth_scores_perfectly()
    {
        foreach (PhysicsClip clip in Enumerable.Range(1, 40).Select(s => _simulator.Generate(s, 16)))
        {
            PhysicsScore score = PhysicsMetrics.Score(clip.Pixels, clip, 2);
            if (clip.Kind != SceneKind.Collision)
            {
                Assert.InRange(score.CentroidError, 0, 0.35);
                Assert.Equal(0, score.TrackLoss);
            }
            Assert.True(score.BackgroundPsnr > 60, $"seed {clip.Seed}: background PSNR of the truth itself is {score.BackgroundPsnr:F1}");
        }
    }

    [Fact]
    public void A_ballistic_path_has_a_small_parabola_residual_and_a_jittered_one_does_not()
    {
        var path = Enumerable.Range(0, 10).Select(t => (t, 3.0 + 1.2 * t, 20.0 - 2.0 * t + 0.15 * t * t)).ToList();
        Assert.True(Math.Sqrt(PhysicsMetrics.ParabolaResiduals(path).Average()) < 1e-6);
        var jittered = path.Select((p, i) => (p.Item1, p.Item2 + (i % 2 == 0 ? 0.4 : -0.4), p.Item3)).ToList();
        Assert.True(Math.Sqrt(PhysicsMetrics.ParabolaResiduals(jittered).Average()) > 0.25);
    }

    [Fact]
    public void Baselines_know_only_the_given_frames()
    {
        // Over a short horizon (4 predicted frames) gravity has moved a ball less than its own velocity has.
        var scenes = Enumerable.Range(1, 40).Select(s => _simulator.Generate(s, 6)).Where(c => c.Kind == SceneKind.Projectile).ToArray();
        double copy = scenes.Average(c => PhysicsBaselines.CopyLastFrame(c, 2).CentroidError);
        double velocity = scenes.Average(c => PhysicsBaselines.ConstantVelocity(c, 2).CentroidError);
        Assert.True(velocity < copy, $"constant velocity {velocity:F2} should beat a frozen frame {copy:F2} on projectiles");
        Assert.True(velocity > 0.2, $"constant velocity ignores gravity, so it must drift ({velocity:F2})");
    }
}
