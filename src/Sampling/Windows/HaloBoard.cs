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
    private bool _disposed;

    /// <summary>Leaves <paramref name="part"/> (owned by the board until taken) for its reader.</summary>
    /// <exception cref="InvalidOperationException">A part with this key was already delivered.</exception>
    public void Deposit(HaloKey key, Tensor part)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Box(key).TrySetResult(part))
        {
            part.Dispose();
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
        Tensor part = await Box(key).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _boxes.TryRemove(key, out _);
        return part;
    }

    /// <summary>Drops every part of rounds before (<paramref name="step"/>, <paramref name="iteration"/>) still here (a round that failed midway).</summary>
    public void DropBefore(int step, int iteration)
    {
        foreach (HaloKey key in _boxes.Keys.Where(k => k.Step < step || (k.Step == step && k.Iteration < iteration)).ToArray())
        {
            if (_boxes.TryRemove(key, out var box) && box.Task.IsCompletedSuccessfully)
            {
                box.Task.Result.Dispose();
            }
        }
    }

    private TaskCompletionSource<Tensor> Box(HaloKey key) => _boxes.GetOrAdd(key, _ => new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        foreach (var box in _boxes.Values)
        {
            if (box.Task.IsCompletedSuccessfully)
            {
                box.Task.Result.Dispose();
            }
            else
            {
                box.TrySetCanceled();
            }
        }
        _boxes.Clear();
    }
}
