using Loom.Sampling.Windows;

namespace Loom.Grains.Jobs;

/// <summary>A run's windows as opened where they stay (resident windows); disposing closes them.</summary>
public interface IResidentPlacement : IDisposable
{
    /// <summary>The windows, in plan order.</summary>
    IReadOnlyList<IResidentWindow> Windows { get; }

    /// <summary>
    /// True when a window's shard is draining: the run gathers its latent between steps and opens the windows again
    /// elsewhere, before the silo stops taking work (cheap: the router's directory snapshot).
    /// </summary>
    Task<bool> ShouldMoveAsync(CancellationToken cancellationToken);
}
