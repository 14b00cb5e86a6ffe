namespace Loom.Models.Physics;

/// <summary>What happens in a simulated clip; the benchmark reports each kind separately.</summary>
public enum SceneKind
{
    /// <summary>One ball dropped from rest near the top; it reaches the floor late in a 16-frame clip, if at all.</summary>
    FreeFall,

    /// <summary>One ball thrown sideways and upwards: a parabola.</summary>
    Projectile,

    /// <summary>One ball that hits the floor (or a wall) and bounces with restitution.</summary>
    Bounce,

    /// <summary>Two or three balls thrown at each other: ball-ball collisions.</summary>
    Collision,
}
