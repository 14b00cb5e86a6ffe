namespace Loom.Models.Physics;

/// <summary>
/// Which seeds belong to which split. Training draws fresh clips from seeds below <see cref="ValidationBase"/>;
/// validation (for choosing tau and the like) and test (the benchmark) use ranges training never touches.
/// </summary>
public static class PhysicsDataset
{
    /// <summary>First validation seed.</summary>
    public const long ValidationBase = 900_000_000;

    /// <summary>First test seed.</summary>
    public const long TestBase = 1_000_000_000;

    /// <summary>Seed of training clip <paramref name="index"/> (1-based order, never reaching validation).</summary>
    public static long TrainSeed(long index) => 1 + index % (ValidationBase - 1);

    /// <summary>Seed of validation scene <paramref name="index"/>.</summary>
    public static long ValidationSeed(int index) => ValidationBase + index;

    /// <summary>Seed of test scene <paramref name="index"/>.</summary>
    public static long TestSeed(int index) => TestBase + index;
}
