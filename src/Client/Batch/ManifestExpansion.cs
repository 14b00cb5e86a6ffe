using System.Globalization;
using Loom.Client.Cli;

namespace Loom.Client.Batch;

/// <summary>
/// <c>--prompts FILE</c> x <c>--seeds RANGE</c>: every base item (a manifest line, or one item of defaults when there is
/// no manifest) becomes one item per prompt and seed, in that order. Ids are deterministic, so a rerun of the same
/// command finds the same items: the base's id (none for a line without one when there is no manifest), then
/// <c>-p{n}</c> (n: the prompt's position among the file's prompts, from 0) and <c>-s{seed}</c>: <c>p3-s17</c>,
/// <c>clip-p3-s17</c>. A line that sets the seed or prompt itself while the option does is an invalid item.
/// </summary>
internal static class ManifestExpansion
{
    /// <summary>Most items one expansion may make.</summary>
    public const int MaxItems = 1_000_000;

    /// <summary>The prompts of <paramref name="path"/>: one a line, blank lines and lines starting with <c>#</c> skipped.</summary>
    public static IReadOnlyList<string> ReadPrompts(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.Usage, $"--prompts: '{Path.GetFullPath(path)}' does not exist.", "prompts");
        }
        string[] prompts = [.. File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        return prompts.Length > 0 ? prompts : throw new CliException(ExitCodes.Usage, $"--prompts: '{Path.GetFullPath(path)}' has no prompts (one a line; '#' starts a comment).", "prompts");
    }

    /// <summary>Seeds from <c>0-99</c>, <c>7</c> or <c>0-9,100-109</c>, in the order given; repeats are an error.</summary>
    public static IReadOnlyList<long> ParseSeeds(string text)
    {
        var seeds = new List<long>();
        var seen = new HashSet<long>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', 1 < part.Length ? 1 : 0);
            (string first, string last) = dash > 0 ? (part[..dash], part[(dash + 1)..]) : (part, part);
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out long from) || !long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out long to) || to < from)
            {
                throw new CliException(ExitCodes.Usage, $"--seeds: '{part}' is not a seed or a range FIRST-LAST of seeds 0 or more (e.g. 0-99, or 0-9,100-109).", "seeds");
            }
            if (to - from >= MaxItems)
            {
                throw new CliException(ExitCodes.Usage, $"--seeds: '{part}' is more than {MaxItems} seeds.", "seeds");
            }
            for (long seed = from; seed <= to; seed++)
            {
                if (!seen.Add(seed))
                {
                    throw new CliException(ExitCodes.Usage, $"--seeds: seed {seed} is given twice.", "seeds");
                }
                seeds.Add(seed);
            }
        }
        return seeds;
    }

    /// <summary>
    /// The items of <paramref name="bases"/> x <paramref name="prompts"/> x <paramref name="seeds"/> (a null list does
    /// not expand). <paramref name="fromManifest"/>: the bases are manifest lines (their line numbers stay); else items are
    /// numbered in order.
    /// </summary>
    public static IReadOnlyList<ManifestItem> Expand(IReadOnlyList<ManifestItem> bases, bool fromManifest, IReadOnlyList<string>? prompts, IReadOnlyList<long>? seeds)
    {
        long count = bases.Count * (long)(prompts?.Count ?? 1) * (seeds?.Count ?? 1);
        if (count > MaxItems)
        {
            throw new CliException(ExitCodes.Usage, $"--prompts x --seeds: {count} items; at most {MaxItems} in one batch (split the seeds over several runs).", prompts is null ? "seeds" : "prompts");
        }
        var items = new List<ManifestItem>((int)count);
        foreach (ManifestItem item in bases)
        {
            if (!item.IsValid)
            {
                items.Add(item);
                continue;
            }
            string stem = fromManifest || !item.Id.StartsWith("line-", StringComparison.Ordinal) ? item.Id : "";
            if (prompts is not null && item.Spec.HasPrompt)
            {
                items.Add(item with { Error = "prompt: set by --prompts; remove it from the line, or run without --prompts.", Field = "prompt" });
                continue;
            }
            if (seeds is not null && item.Spec.HasSeed)
            {
                items.Add(item with { Error = "seed: set by --seeds; remove it from the line, or run without --seeds.", Field = "seed" });
                continue;
            }
            for (int p = 0; p < (prompts?.Count ?? 1); p++)
            {
                for (int s = 0; s < (seeds?.Count ?? 1); s++)
                {
                    var spec = item.Spec.Clone();
                    string id = stem;
                    if (prompts is not null)
                    {
                        spec.Prompt = prompts[p];
                        id = Join(id, $"p{p}");
                    }
                    if (seeds is not null)
                    {
                        spec.Seed = seeds[s];
                        id = Join(id, string.Create(CultureInfo.InvariantCulture, $"s{seeds[s]}"));
                    }
                    int line = fromManifest ? item.Line : items.Count + 1;
                    items.Add(id.Length <= 64
                        ? item with { Line = line, Id = id, Spec = spec }
                        : item with { Line = line, Id = id, Spec = spec, Error = $"id: '{id}' (the line's id with the prompt and seed) is longer than 64 characters; shorten the line's id.", Field = "id" });
                }
            }
        }
        return items;
    }

    private static string Join(string stem, string part) => stem.Length == 0 ? part : $"{stem}-{part}";
}
