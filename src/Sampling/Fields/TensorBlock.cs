using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Runs a synchronous block of tensor math inside its own dispose scope and without autograd, and hands back
/// only the results, detached. Async code calls this between awaits, since dispose scopes and grad mode are
/// per thread and must never span an await.
/// </summary>
public static class TensorBlock
{
    /// <summary>Runs <paramref name="compute"/>; every intermediate is disposed, the result is detached.</summary>
    public static torch.Tensor Run(Func<torch.Tensor> compute)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return compute().DetachFromDisposeScope();
    }

    /// <summary>Runs <paramref name="compute"/> and detaches both results.</summary>
    public static (torch.Tensor First, torch.Tensor Second) Run(Func<(torch.Tensor, torch.Tensor)> compute)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (first, second) = compute();
        return (first.DetachFromDisposeScope(), second.DetachFromDisposeScope());
    }

    /// <summary>Runs <paramref name="compute"/> for a value that holds no tensor (a count, a fraction).</summary>
    public static T Read<T>(Func<T> compute)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return compute();
    }
}
