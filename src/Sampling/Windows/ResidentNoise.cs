using Loom.Sampling.Fields;
using Loom.Sampling.Noise;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// The P&amp;P noise of one job for the resident windows in one place (a process, a silo). A window's noise is the whole
/// video's for (seed, step, iteration), narrowed to its frames (that is what keeps the cut between windows invisible),
/// so drawing it costs as much as the video is long; the windows here share one draw per round instead of each
/// drawing it. The last <see cref="Kept"/> rounds' draws are kept: windows run at most one round apart (a window needs
/// its neighbours' parts of a round to finish it, and begins at most one round ahead of the coordinator's asks), so no
/// window asks for an older one, and one that did would only draw it again.
/// </summary>
/// <param name="seeds">One seed per video.</param>
/// <param name="sampleShape">One video's latent shape <c>[C, F, ...]</c>.</param>
public sealed class ResidentNoise(IReadOnlyList<long> seeds, long[] sampleShape) : IDisposable
{
    /// <summary>Rounds whose draws are kept.</summary>
    public const int Kept = 3;

    private readonly long[] _seeds = seeds.ToArray();
    private readonly List<Draw> _draws = [];
    private bool _disposed;

    /// <summary>Whole-video draws made so far.</summary>
    public int Draws { get; private set; }

    /// <summary>Starts drawing the noise of (<paramref name="step"/>, <paramref name="iteration"/>) on a pool thread, for a round to come.</summary>
    public void DrawAhead(int step, int iteration) => Release(Take(step, iteration));

    /// <summary>The noise of (<paramref name="step"/>, <paramref name="iteration"/>) over <paramref name="window"/>'s frames, <c>[B, C, L, ...]</c> (owned by the caller).</summary>
    public async Task<Tensor> WindowAsync(int step, int iteration, TemporalWindow window, ScalarType dtype, Device device)
    {
        Draw draw = Take(step, iteration);
        try
        {
            Tensor whole = await draw.Noise.ConfigureAwait(false);
            return TensorBlock.Run(() => whole.narrow(WindowFusion.FrameAxis, window.Start, window.Length).contiguous().to(dtype, device));
        }
        finally
        {
            Release(draw);
        }
    }

    /// <summary>The draw of (step, iteration), started if new and counted as in use; older ones beyond <see cref="Kept"/> are let go.</summary>
    private Draw Take(int step, int iteration)
    {
        lock (_draws)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Draw? draw = _draws.Find(d => d.Step == step && d.Iteration == iteration);
            if (draw is null)
            {
                draw = new Draw(step, iteration, Task.Run(() => DeterministicNoise.Batch(_seeds, step, iteration, sampleShape)));
                Draw drawn = draw;
                _ = draw.Noise.ContinueWith(t =>
                {
                    _ = t.Exception; // a failed draw is thrown to the windows that await it
                    lock (_draws)
                    {
                        drawn.FreeIfDone(); // let go before it was done
                    }
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                _draws.Add(draw);
                Draws++;
                _draws.Sort((a, b) => (a.Step, a.Iteration).CompareTo((b.Step, b.Iteration)));
                while (_draws.Count > Kept)
                {
                    _draws[0].LetGo();
                    _draws.RemoveAt(0);
                }
            }
            draw.Users++;
            return draw;
        }
    }

    private void Release(Draw draw)
    {
        lock (_draws)
        {
            draw.Users--;
            draw.FreeIfDone();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_draws)
        {
            _disposed = true;
            _draws.ForEach(d => d.LetGo());
            _draws.Clear();
        }
    }

    /// <summary>One round's whole-video noise, freed once let go, drawn and read by no window (guarded by the owner's lock).</summary>
    private sealed class Draw(int step, int iteration, Task<Tensor> noise)
    {
        private bool _letGo, _freed;

        public int Step { get; } = step;

        public int Iteration { get; } = iteration;

        public Task<Tensor> Noise { get; } = noise;

        public int Users { get; set; }

        public void LetGo()
        {
            _letGo = true;
            FreeIfDone();
        }

        public void FreeIfDone()
        {
            if (_letGo && !_freed && Users == 0 && Noise.IsCompletedSuccessfully)
            {
                _freed = true;
                Noise.Result.Dispose();
            }
        }
    }
}
