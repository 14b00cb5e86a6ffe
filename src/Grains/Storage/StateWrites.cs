using Polly;

namespace Loom.Grains.Storage;

/// <summary>
/// One grain's state writes, one at a time (the step loop and a grain call may both save), each riding out storage
/// blips with the retry pipeline and continuing on the captured context: grain state may only be touched on the
/// grain's scheduler, retries included.
/// </summary>
/// <param name="retry">The storage retry pipeline.</param>
public sealed class StateWrites(ResiliencePipeline retry)
{
    private readonly SemaphoreSlim _writes = new(1, 1);

    /// <summary>Runs <paramref name="write"/> after any write in progress, retried on transient storage errors.</summary>
    public async Task RunAsync(Func<Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _writes.WaitAsync();
        ResilienceContext context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true);
        try
        {
            await retry.ExecuteAsync(async _ => await write(), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            _writes.Release();
        }
    }
}
