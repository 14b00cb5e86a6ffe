using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Sampling.Fields;

/// <summary>
/// Several windows with classifier-free guidance in one forward pass: rows are laid out as the conditional rows of
/// every window, then the unconditional rows of the guided ones (guidance above 1), and each window's velocity is
/// <c>v_u + w (v_c - v_u)</c>. The world model and Wan batch their windows so.
/// </summary>
public static class GuidedBatch
{
    /// <summary>True when a window with this scale runs both branches.</summary>
    public static bool IsGuided(double guidance) => guidance > 1.0;

    /// <summary>Calls <paramref name="addRows"/> (window, conditional) in row order.</summary>
    public static void Layout(IReadOnlyList<double> guidance, Action<int, bool> addRows)
    {
        for (int i = 0; i < guidance.Count; i++)
        {
            addRows(i, true);
        }
        for (int i = 0; i < guidance.Count; i++)
        {
            if (IsGuided(guidance[i]))
            {
                addRows(i, false);
            }
        }
    }

    /// <summary>Each window's velocity from <paramref name="output"/> laid out by <see cref="Layout"/>: new tensors or views in the current scope.</summary>
    public static Tensor[] Combine(Tensor output, IReadOnlyList<long> rows, IReadOnlyList<double> guidance)
    {
        var results = new Tensor[rows.Count];
        long conditionalRow = 0, unconditionalRow = rows.Sum();
        for (int i = 0; i < rows.Count; i++)
        {
            Tensor velocity = output.narrow(0, conditionalRow, rows[i]);
            conditionalRow += rows[i];
            if (IsGuided(guidance[i]))
            {
                Tensor unconditional = output.narrow(0, unconditionalRow, rows[i]);
                unconditionalRow += rows[i];
                using Scalar w = guidance[i].ToScalar();
                velocity = HeldScalars.Add(unconditional, HeldScalars.Sub(velocity, unconditional).mul(w));
            }
            results[i] = velocity;
        }
        return results;
    }

    /// <summary>Throws unless every latent has the first one's shape past the batch axis.</summary>
    /// <exception cref="ArgumentException">They differ.</exception>
    public static void RequireOneShape(IEnumerable<Tensor> latents, string what)
    {
        long[]? first = null;
        foreach (Tensor latent in latents)
        {
            first ??= latent.shape[1..];
            if (!latent.shape[1..].SequenceEqual(first))
            {
                throw new ArgumentException($"windows of one batch must share their shape {what}.", nameof(latents));
            }
        }
    }
}
