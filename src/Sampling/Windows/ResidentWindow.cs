using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// One window's share of a shard-resident co-denoise: its slice of the latent between steps and, within a step, its
/// slices of the P&amp;P state (x0, the Euler step, the certain mask). It lives where the window is evaluated.
/// </summary>
internal sealed class ResidentWindow : IDisposable
{
    public ResidentWindow(TemporalWindow window, Tensor latent, int ownedFrom, Tensor? given, Tensor? frameMask)
    {
        Window = window;
        Latent = latent;
        OwnedFrom = ownedFrom;
        Given = given;
        FrameMask = frameMask;
    }

    /// <summary>The window.</summary>
    public TemporalWindow Window { get; }

    /// <summary>The window's latent <c>[B, C, L, ...]</c> at the current step (owned).</summary>
    public Tensor Latent { get; set; }

    /// <summary>The latent one step before <see cref="Latent"/> (owned), kept for a checkpoint's gather that a window running ahead overtook; null before the first step here.</summary>
    public Tensor? Previous { get; set; }

    /// <summary>
    /// First video frame this window answers for when the whole latent is gathered or cells are counted: its frames
    /// from here to its end are covered by no earlier window (so every frame is counted once).
    /// </summary>
    public int OwnedFrom { get; }

    /// <summary>Frames of the window counted as its own: <c>[OwnedFrom, End)</c>, possibly none.</summary>
    public int OwnedCount => Window.End - OwnedFrom;

    /// <summary>Given clean frames over the window (<c>[B or 1, C, L, ...]</c>), or null without conditioning.</summary>
    public Tensor? Given { get; }

    /// <summary>Which of the window's frames are given (<c>[1, 1, L, 1, ...]</c>, bool), or null.</summary>
    public Tensor? FrameMask { get; }

    /// <summary>Within a step: <c>x0</c> of the latest prediction (merged under the mask).</summary>
    public Tensor? X0 { get; set; }

    /// <summary>Within a step: the Euler step's result so far.</summary>
    public Tensor? Next { get; set; }

    /// <summary>Within a refined step: the window's cells already final, <c>[B, 1, L, ...]</c>.</summary>
    public Tensor? Certain { get; set; }

    /// <summary>Drops the step's state (the latent stays).</summary>
    public void EndStep()
    {
        X0?.Dispose();
        Next?.Dispose();
        Certain?.Dispose();
        (X0, Next, Certain) = (null, null, null);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        EndStep();
        Latent.Dispose();
        Previous?.Dispose();
        Given?.Dispose();
        FrameMask?.Dispose();
    }
}
