using System.Collections.Concurrent;
using Loom.Sampling.Fields;
using static TorchSharp.torch;

namespace Loom.Sampling.Windows;

/// <summary>
/// Mailboxes for velocities over shared frames: a part may arrive before or after its reader asks for it. In one
/// process it is the whole exchange (<see cref="IHaloExchange"/>); on a silo it holds what neighbours sent to the
/// windows resident there.
/// </summary>
public sealed class HaloBoard : IHaloExchange, IDisposable
{
    private readonly ConcurrentDictionary<HaloKey, TaskCompletionSource<Tensor>> _boxes = new();
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Leaves <paramref name="part"/> (owned by the board until taken) for its reader.</summary>
    /// <exception cref="InvalidOperationException">A part with this key was already delivered.</exception>
    /// <exception cref="ObjectDisposedException">The board was disposed (the part is freed).</exception>
    public void Deposit(HaloKey key, Tensor part)
    {
        TaskCompletionSource<Tensor> box;
        try
        {
            box = Box(key);
        }
        catch
        {
            part.Dispose();
            throw;
        }
        if (!box.TrySetResult(part))
        {
            part.Dispose();
            if (box.Task.IsCanceled)
            {
                throw new ObjectDisposedException(nameof(HaloBoard));
            }
            throw new InvalidOperationException($"window {key.To} already holds window {key.From}'s part from frame {key.Frame} for step {key.Step}, round {key.Iteration}.");
        }
    }

    /// <inheritdoc />
    public Task SendAsync(HaloKey key, Tensor part, CancellationToken cancellationToken)
    {
        Deposit(key, TensorBlock.Run(() => part.contiguous().clone()));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<Tensor> ReceiveAsync(HaloKey key, CancellationToken cancellationToken)
    {
        TaskCompletionSource<Tensor> box = Box(key);
        Tensor part = await box.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Whoever removes the box owns its part: this reader, or a disposal or a drop that came first (and freed it).
        if (!_boxes.TryRemove(new KeyValuePair<HaloKey, TaskCompletionSource<Tensor>>(key, box)))
        {
            throw new ObjectDisposedException(nameof(HaloBoard));
        }
        return part;
    }

    /// <summary>Drops every part of rounds before (<paramref name="step"/>, <paramref name="iteration"/>) still here (a round that failed midway).</summary>
    public void DropBefore(int step, int iteration)
    {
        foreach (var (key, box) in _boxes.ToArray())
        {
            if ((key.Step < step || (key.Step == step && key.Iteration < iteration)) && _boxes.TryRemove(new KeyValuePair<HaloKey, TaskCompletionSource<Tensor>>(key, box)))
            {
                Free(box);
            }
        }
    }

    private TaskCompletionSource<Tensor> Box(HaloKey key)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _boxes.GetOrAdd(key, _ => new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>Frees a removed box's part, or cancels its reader.</summary>
    private static void Free(TaskCompletionSource<Tensor> box)
    {
        if (!box.TrySetCanceled() && box.Task.IsCompletedSuccessfully)
        {
            box.Task.Result.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        foreach (var (key, box) in _boxes.ToArray())
        {
            if (_boxes.TryRemove(new KeyValuePair<HaloKey, TaskCompletionSource<Tensor>>(key, box)))
            {
                Free(box);
            }
        }
    }
}
