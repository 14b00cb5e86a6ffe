using TorchSharp;

namespace Loom.Models.Serving;

/// <summary>
/// One window to evaluate: the noisy latent <c>[b, C, F, H, W]</c> at noise level <see cref="Sigma"/> (the model sees
/// <see cref="Timestep"/>, Wan's integer timestep), classifier-free guidance (above 1: both branches), the conditioning
/// tensors the model asked for by name (<see cref="ConditioningNames"/>), and where the window sits in the video.
/// Tensors are borrowed and live on the model's device.
/// </summary>
/// <param name="Latent">The noisy latent <c>[b, C, F, H, W]</c>.</param>
/// <param name="Sigma">Its noise level in [0, 1].</param>
/// <param name="Timestep">The timestep the model sees (the schedule's: <c>1000 sigma</c>, or an integer for Wan).</param>
/// <param name="Guidance">Guidance scale; above 1 the unconditional branch runs too.</param>
/// <param name="Conditioning">Conditioning tensors by name; empty when none.</param>
/// <param name="FrameStart">
/// The window's first latent frame in the whole video. The models here are evaluated with the window's own positions
/// (its frames numbered from 0, as they were trained and as the in-process run does); the offset is carried so a model
/// with absolute positions could read it.
/// </param>
public sealed record ModelWindow(
    torch.Tensor Latent,
    double Sigma,
    double Timestep,
    double Guidance,
    IReadOnlyDictionary<string, torch.Tensor> Conditioning,
    int FrameStart = 0)
{
    /// <summary>Forward passes per sample: 2 with guidance (conditional and unconditional), else 1.</summary>
    public int EvaluationsPerSample => Guidance > 1.0 ? 2 : 1;

    /// <summary>The clean frames given inside the window and which they are (<see cref="ConditioningNames.Frames"/>, <see cref="ConditioningNames.Given"/>); null when none are sent.</summary>
    /// <exception cref="ArgumentException">Frames without their flags.</exception>
    public (torch.Tensor Clean, bool[] Given)? GivenFrames()
    {
        if (Find(ConditioningNames.Frames) is not { } clean)
        {
            return null;
        }
        using torch.Tensor flags = Require(ConditioningNames.Given, "given frames need their flags").cpu().to(torch.ScalarType.Bool);
        return (clean, flags.data<bool>().ToArray());
    }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public torch.Tensor? Find(string name) => Conditioning.TryGetValue(name, out torch.Tensor? tensor) ? tensor : null;

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">It was not sent: the message names it and who needs it.</exception>
    public torch.Tensor Require(string name, string why) => Find(name)
        ?? throw new ArgumentException($"conditioning '{name}' is missing: {why}.", nameof(Conditioning));
}
