using TorchSharp;

namespace Loom.Sampling.Fields;

/// <summary>
/// Where in the sampling run a prediction is asked for. Within one outer step sigma and timestep stay fixed for
/// every refinement iteration (P&amp;P perturbs back to the same noise level).
/// </summary>
/// <param name="Step">Outer step index i (0-based).</param>
/// <param name="Sigma">Noise level s of the latent being evaluated.</param>
/// <param name="NextSigma">Noise level the Euler step moves to.</param>
/// <param name="Iteration">0 for the step's first prediction, k = 1..K for refinement predictions.</param>
/// <param name="CertainCells">
/// During refinement: the cells (shape <c>[B, 1, ...]</c>, bool) whose values are already final for this step,
/// because the uncertainty mask froze them. A field may skip work whose every output cell is certain; values it
/// returns there are ignored. Null for the first prediction of a step. Borrowed: do not dispose.
/// </param>
public readonly record struct StepContext(
    int Step,
    double Sigma,
    double NextSigma,
    int Iteration = 0,
    torch.Tensor? CertainCells = null)
{
    /// <summary>
    /// Timestep passed to the model: the schedule's (<see cref="Schedules.FlowSchedule.Timestep"/>: an integer for Wan);
    /// <c>1000 * sigma</c> unless set.
    /// </summary>
    public double Timestep { get; init; } = Schedules.FlowSchedule.TrainTimesteps * Sigma;
}
