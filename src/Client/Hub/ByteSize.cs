using System.Globalization;

namespace Loom.Client.Hub;

/// <summary>Sizes as the hub shows them: decimal units (1 GB = 10^9 bytes), three significant digits.</summary>
internal static class ByteSize
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        string number = unit == 0 ? bytes.ToString(CultureInfo.InvariantCulture) : value.ToString(value < 10 ? "0.00" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);
        return $"{number} {units[unit]}";
    }
}
