using System.Globalization;

namespace Loom.Bench;

/// <summary>Sums of series in Prometheus text exposition (what a silo serves on <c>/metrics</c>), for before/after deltas.</summary>
public static class MetricsText
{
    /// <summary>
    /// The sum of every sample of <paramref name="series"/> in <paramref name="text"/> (e.g. <c>loom_step_duration_seconds_sum</c>)
    /// whose labels include <paramref name="label"/> (e.g. <c>stage="text"</c>) when given.
    /// </summary>
    public static double Sum(string text, string series, string? label = null)
    {
        double sum = 0;
        foreach (string line in text.Split('\n'))
        {
            if (!line.StartsWith(series, StringComparison.Ordinal) || line.Length == series.Length || line[series.Length] is not ('{' or ' '))
            {
                continue;
            }
            int space = line.LastIndexOf(' ');
            string name = line[..space];
            if (label is null || name.Contains(label, StringComparison.Ordinal))
            {
                sum += double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    /// <summary>This process's default registry as text (an embedded silo's metrics).</summary>
    public static async Task<string> OfThisProcessAsync()
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The <c>/metrics</c> of every silo process (metrics ports given), concatenated.</summary>
    public static async Task<string> OfProcessesAsync(IEnumerable<int> metricsPorts)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string[] texts = await Task.WhenAll(metricsPorts.Select(port => http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))));
        return string.Join('\n', texts);
    }
}
