using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Wan's 3D rotary position embedding for one (frames, rows, columns) token grid. The <c>c = head_dim / 2</c> complex
/// pairs of a head are split <c>[c - 2(c/3), c/3, c/3]</c> between the frame, row and column index; an axis of real
/// width <c>d</c> rotates pair <c>j</c> by <c>p / 10000^(2j/d)</c>. Angles, cos and sin are computed in float64 and
/// kept as float32 tables <c>[L, 1, c]</c>; pairs are interleaved (<c>x[2j], x[2j+1]</c>).
/// </summary>
public sealed class WanRope : IDisposable
{
    /// <summary>Positions per axis in the official table (<c>rope_params(1024, ...)</c>).</summary>
    public const int MaxPositions = 1024;

    private readonly Tensor _cos;
    private readonly Tensor _sin;

    /// <summary>The tables for a <paramref name="frames"/> x <paramref name="rows"/> x <paramref name="columns"/> grid of heads <paramref name="headDim"/> wide.</summary>
    /// <exception cref="ArgumentException">An axis is longer than <see cref="MaxPositions"/>.</exception>
    public WanRope(int headDim, long frames, long rows, long columns, Device device)
    {
        long[] grid = [frames, rows, columns];
        for (int a = 0; a < 3; a++)
        {
            if (grid[a] < 1 || grid[a] > MaxPositions)
            {
                throw new ArgumentException($"RoPE axis {a} has {grid[a]} positions; Wan's table has 1..{MaxPositions}.", nameof(headDim));
            }
        }
        int[] pairs = AxisPairs(headDim);
        int c = headDim / 2;
        long tokens = frames * rows * columns;
        var cos = new float[tokens * c];
        var sin = new float[tokens * c];
        double[][] inverse = pairs.Select(n => Enumerable.Range(0, n).Select(j => Math.Pow(10000.0, -2.0 * j / (2 * n))).ToArray()).ToArray();
        long token = 0;
        for (long f = 0; f < frames; f++)
        {
            for (long h = 0; h < rows; h++)
            {
                for (long w = 0; w < columns; w++, token++)
                {
                    long[] position = [f, h, w];
                    int k = 0;
                    for (int a = 0; a < 3; a++)
                    {
                        for (int j = 0; j < pairs[a]; j++, k++)
                        {
                            double angle = position[a] * inverse[a][j];
                            cos[token * c + k] = (float)Math.Cos(angle);
                            sin[token * c + k] = (float)Math.Sin(angle);
                        }
                    }
                }
            }
        }
        _cos = tensor(cos, [tokens, 1, c]).to(device);
        _sin = tensor(sin, [tokens, 1, c]).to(device);
    }

    /// <summary>Complex pairs per axis (frames, rows, columns): <c>[c - 2(c/3), c/3, c/3]</c>, c = head_dim / 2.</summary>
    public static int[] AxisPairs(int headDim)
    {
        int c = headDim / 2;
        return [c - 2 * (c / 3), c / 3, c / 3];
    }

    /// <summary>cos and sin of one axis's angles for positions 0..n-1, <c>[n, pairs]</c> float32 (the fixtures' <c>rope_*_axisA</c>).</summary>
    public static (Tensor Cos, Tensor Sin) AxisTable(int headDim, int axis, int n)
    {
        int pairs = AxisPairs(headDim)[axis];
        var cos = new float[n * pairs];
        var sin = new float[n * pairs];
        for (int p = 0; p < n; p++)
        {
            for (int j = 0; j < pairs; j++)
            {
                double angle = p * Math.Pow(10000.0, -2.0 * j / (2 * pairs));
                cos[p * pairs + j] = (float)Math.Cos(angle);
                sin[p * pairs + j] = (float)Math.Sin(angle);
            }
        }
        return (tensor(cos, [n, pairs]), tensor(sin, [n, pairs]));
    }

    /// <summary>Rotates <paramref name="x"/> <c>[B, L, heads, head_dim]</c> (float32 result).</summary>
    public Tensor Apply(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], l = x.shape[1], n = x.shape[2], d = x.shape[3];
        Tensor pairs = x.to(ScalarType.Float32).reshape(b, l, n, d / 2, 2);
        Tensor x0 = pairs.select(-1, 0);
        Tensor x1 = pairs.select(-1, 1);
        Tensor real = x0 * _cos - x1 * _sin;
        Tensor imaginary = x0 * _sin + x1 * _cos;
        return stack([real, imaginary], -1).reshape(b, l, n, d).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
