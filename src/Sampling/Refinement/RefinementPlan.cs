using System.Globalization;

namespace Loom.Sampling.Refinement;

/// <summary>
/// Which outer steps refine and how hard: a list of disjoint step ranges, each with K extra predictions per
/// step. Text form <c>2-5:3,6-13:1</c> (the reference setting for Wan2.2 T2V at 40 steps); steps not listed make
/// no extra prediction. The empty plan is the plain Euler sampler.
/// </summary>
public sealed class RefinementPlan
{
    /// <summary>The most extra predictions one step may make.</summary>
    public const int MaxExtraPerStep = 16;

    private readonly RefinementRange[] _ranges;

    /// <summary>Builds a plan from ranges; they may come in any order but must not overlap.</summary>
    /// <exception cref="RefinementPlanException">A range is reversed, negative, has K outside 0..16, or overlaps another.</exception>
    public RefinementPlan(IEnumerable<RefinementRange> ranges)
    {
        RefinementRange[] sorted = ranges.OrderBy(r => r.First).ToArray();
        foreach (RefinementRange range in sorted)
        {
            Check(range, range.ToString());
        }
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].First <= sorted[i - 1].Last)
            {
                throw new RefinementPlanException($"ranges {sorted[i - 1]} and {sorted[i]} overlap at step {sorted[i].First}.");
            }
        }
        _ranges = sorted;
    }

    /// <summary>The plan that never refines.</summary>
    public static RefinementPlan None { get; } = new(Array.Empty<RefinementRange>());

    /// <summary>The ranges, ordered by first step.</summary>
    public IReadOnlyList<RefinementRange> Ranges => _ranges;

    /// <summary>True when no step refines.</summary>
    public bool IsEmpty => _ranges.All(r => r.Extra == 0);

    /// <summary>Extra predictions K at <paramref name="step"/> (0 outside every range).</summary>
    public int ExtraAt(int step)
    {
        foreach (RefinementRange range in _ranges)
        {
            if (step >= range.First && step <= range.Last)
            {
                return range.Extra;
            }
        }
        return 0;
    }

    /// <summary>The last step the plan names, or -1 for an empty plan.</summary>
    public int LastStep => _ranges.Length == 0 ? -1 : _ranges[^1].Last;

    /// <summary>Sum of K over all steps.</summary>
    public int TotalExtra => _ranges.Sum(r => r.Count * r.Extra);

    /// <summary>
    /// Model evaluations of a full run without early exit: <c>(N + sum K)</c>, doubled with classifier-free guidance.
    /// </summary>
    public int Nfe(int steps, bool guided) => (steps + TotalExtra) * (guided ? 2 : 1);

    /// <summary>Checks the plan fits a run of <paramref name="steps"/> steps.</summary>
    /// <exception cref="RefinementPlanException">A range names a step at or past <paramref name="steps"/>.</exception>
    public void ValidateFor(int steps)
    {
        foreach (RefinementRange range in _ranges)
        {
            if (range.Last >= steps)
            {
                throw new RefinementPlanException(
                    $"range {range} reaches step {range.Last}, but the run has {steps} steps (0..{steps - 1}).");
            }
        }
    }

    /// <summary>
    /// Parses <c>a-b:K[,c-d:K...]</c> or <c>a:K</c> for a single step; empty text or <c>none</c> is the empty plan.
    /// </summary>
    /// <exception cref="RefinementPlanException">The text is malformed; the message names the item and the problem.</exception>
    public static RefinementPlan Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return None;
        }

        var ranges = new List<RefinementRange>();
        string[] items = text.Split(',');
        for (int index = 0; index < items.Length; index++)
        {
            string item = items[index].Trim();
            string where = $"item {index + 1} ('{item}')";
            int colon = item.IndexOf(':');
            if (colon < 0)
            {
                throw new RefinementPlanException($"{where}: expected 'first-last:K' or 'step:K', found no ':'.");
            }
            string stepsPart = item[..colon].Trim();
            string extraPart = item[(colon + 1)..].Trim();
            int dash = stepsPart.IndexOf('-', 1);
            int first = ParseInt(dash < 0 ? stepsPart : stepsPart[..dash], where, "first step");
            int last = dash < 0 ? first : ParseInt(stepsPart[(dash + 1)..], where, "last step");
            int extra = ParseInt(extraPart, where, "K");
            var range = new RefinementRange(first, last, extra);
            Check(range, where);
            ranges.Add(range);
        }
        return new RefinementPlan(ranges);
    }

    /// <summary>The text form, parseable by <see cref="Parse"/>.</summary>
    public override string ToString() => _ranges.Length == 0 ? "none" : string.Join(",", _ranges);

    private static void Check(RefinementRange range, string where)
    {
        if (range.First < 0)
        {
            throw new RefinementPlanException($"{where}: step {range.First} is negative; steps are 0-based.");
        }
        if (range.Last < range.First)
        {
            throw new RefinementPlanException($"{where}: range is reversed ({range.First} > {range.Last}).");
        }
        if (range.Extra < 0 || range.Extra > MaxExtraPerStep)
        {
            throw new RefinementPlanException($"{where}: K = {range.Extra} is outside 0..{MaxExtraPerStep}.");
        }
    }

    private static int ParseInt(string text, string where, string what)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            throw new RefinementPlanException($"{where}: {what} '{text.Trim()}' is not an integer.");
        }
        return value;
    }
}
