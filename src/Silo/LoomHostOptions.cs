namespace Loom.Silo;

/// <summary>
/// How the silo joins its cluster and where it keeps its state (configuration section <c>Loom</c>; validated at start by
/// <see cref="LoomHostOptionsValidator"/>). The API's settings are <see cref="LoomApiOptions"/>, the work's <see cref="Grains.LoomJobOptions"/>, <see cref="Grains.LoomEvaluationOptions"/>, <see cref="Grains.LoomShardOptions"/> and <see cref="Grains.LoomCatalogOptions"/>.
/// </summary>
public sealed class LoomHostOptions
{
    /// <summary>Orleans cluster id: silos with the same id and Redis form one cluster.</summary>
    public string ClusterId { get; set; } = "loom";

    /// <summary>Orleans service id: keys grain state; keep it stable across deployments.</summary>
    public string ServiceId { get; set; } = "loom";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Embedded mode with several silos on one machine: the first silo's port (0: this silo is the first).</summary>
    public int PrimarySiloPort { get; set; }

    /// <summary>Address other silos reach this one at (cluster mode).</summary>
    public string AdvertisedIp { get; set; } = "127.0.0.1";

    /// <summary>Redis connection string: empty for embedded mode, else cluster mode (membership, state, checkpoints; never results: see Loom:Results).</summary>
    public string Redis { get; set; } = "";

    /// <summary>Embedded mode: folder for grain state and latent checkpoints.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Declare a silo dead after ~3 s of silence instead of Orleans' ~30 s (small clusters and tests).</summary>
    public bool FastFailureDetection { get; set; }

    /// <summary>
    /// How long a silo told to stop (SIGTERM) may drain: it stops taking window evaluations, lets those in flight finish,
    /// checkpoints and stops the job loops it runs (they resume on other silos), reports NOT_SERVING, then leaves the
    /// cluster. The host's shutdown timeout is raised to cover it. Zero skips the drain.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(150);
}
