using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Spatial tiling of a decode: the latent frame is cut into tiles of <paramref name="Tile"/> latent pixels per side that
/// overlap by at least <paramref name="Overlap"/>; each tile is decoded on its own (through all frames), and the
/// overlaps are blended with linear ramps (weights normalised to sum to 1). Memory then scales with the tile, not the
/// frame. A frame no larger than one tile is decoded exactly as untiled.
/// </summary>
/// <param name="Tile">Tile side in latent pixels (32 = 256 video pixels).</param>
/// <param name="Overlap">Minimum overlap of neighbouring tiles in latent pixels (8 = 64 video pixels).</param>
public sealed record WanVaeTiling(int Tile = 32, int Overlap = 8)
{
    /// <summary>Checks the values; the error names the field.</summary>
    public WanVaeTiling Validate() => Tile < 1
        ? throw new ArgumentException($"tile must be at least 1 latent pixel, got {Tile}.", nameof(Tile))
        : Overlap < 0 || Overlap >= Tile
            ? throw new ArgumentException($"overlap must be in [0, tile) = [0, {Tile}), got {Overlap}.", nameof(Overlap))
            : this;

    /// <summary>The tiles along an axis of <paramref name="length"/> latent pixels: evenly spread, each <see cref="Tile"/> long.</summary>
    public IReadOnlyList<(int Start, int Length)> Spans(int length)
    {
        Validate();
        if (length <= Tile)
        {
            return [(0, length)];
        }
        int count = (int)Math.Ceiling((double)(length - Overlap) / (Tile - Overlap));
        return Enumerable.Range(0, count)
            .Select(k => ((int)Math.Round((double)k * (length - Tile) / (count - 1)), Tile))
            .ToArray();
    }

    /// <summary>
    /// The blend weight of tile <paramref name="index"/> of <paramref name="spans"/> along its axis, in video pixels
    /// (<paramref name="scale"/> per latent pixel): 1 inside, rising linearly over the overlap with the previous tile
    /// and falling over the overlap with the next, so neighbouring weights sum to 1.
    /// </summary>
    public static float[] Ramp(IReadOnlyList<(int Start, int Length)> spans, int index, int scale)
    {
        (int start, int length) = spans[index];
        var weights = new float[length * scale];
        Array.Fill(weights, 1f);
        if (index > 0)
        {
            int overlap = (spans[index - 1].Start + spans[index - 1].Length - start) * scale;
            for (int i = 0; i < overlap; i++)
            {
                weights[i] *= (i + 0.5f) / overlap;
            }
        }
        if (index < spans.Count - 1)
        {
            int overlap = (start + length - spans[index + 1].Start) * scale;
            for (int i = 0; i < overlap; i++)
            {
                weights[weights.Length - overlap + i] *= 1f - (i + 0.5f) / overlap;
            }
        }
        return weights;
    }

    /// <summary>The 2D blend weight <c>[tile height, tile width]</c> of tile (<paramref name="row"/>, <paramref name="column"/>).</summary>
    internal static Tensor Weight(IReadOnlyList<(int Start, int Length)> rows, IReadOnlyList<(int Start, int Length)> columns, int row, int column, int scale)
    {
        using Tensor y = tensor(Ramp(rows, row, scale));
        using Tensor x = tensor(Ramp(columns, column, scale));
        return outer(y, x);
    }
}
