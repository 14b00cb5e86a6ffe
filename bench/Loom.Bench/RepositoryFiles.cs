namespace Loom.Bench;

/// <summary>Files of the checkout a benchmark runs from (its scripts and fixtures), and the small statistics the tables use.</summary>
public static class RepositoryFiles
{
    /// <summary>
    /// <paramref name="relative"/> (e.g. <c>bench/wan/wan_forward.py</c>) in the first folder at or above the current
    /// directory or the binary's folder that holds it.
    /// </summary>
    /// <exception cref="ArgumentException">Not found: the benchmark was started outside the repository.</exception>
    public static string Find(string relative)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new ArgumentException($"{relative} not found above the current directory; run from the repository.");
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
