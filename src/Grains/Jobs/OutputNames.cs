using System.Text;
using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>
/// A job's <c>output</c>: a relative name under the silo's output directory (<c>LoomJobOptions.OutputDirectory</c>), never a
/// path of its own. Checked by text alone at submit (nothing is created or probed), and again when the result is written
/// (no folder on the way may be a symbolic link), so a result can only land under the output directory.
/// </summary>
public static class OutputNames
{
    /// <summary>Longest name segment in UTF-8 bytes (the usual file-system limit).</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>Longest whole name in UTF-8 bytes.</summary>
    public const int MaxBytes = 1024;

    /// <summary>Why <paramref name="name"/> is not an acceptable output name, or null when it is.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return null;
        }
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
        {
            return $"at most {MaxBytes} UTF-8 bytes; got {bytes}.";
        }
        if (name.Any(char.IsControl))
        {
            return $"must not contain control characters (NUL, newline, ...); got '{LogText.Escape(name)}'.";
        }
        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return $"separate folders with '/', not '\\'; got '{LogText.Escape(name)}'.";
        }
        if (name.StartsWith('/') || Path.IsPathRooted(name))
        {
            return $"must be a name relative to the silo's output directory, not an absolute path; got '{LogText.Escape(name)}'.";
        }
        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return $"must be a relative name without empty, '.' or '..' parts (it stays under the silo's output directory); got '{LogText.Escape(name)}'.";
            }
            int segmentBytes = Encoding.UTF8.GetByteCount(segment);
            if (segmentBytes > MaxSegmentBytes)
            {
                return $"each part of the name is at most {MaxSegmentBytes} UTF-8 bytes; got one of {segmentBytes}.";
            }
        }
        return null;
    }

    /// <summary>
    /// The full path of the result of <paramref name="jobId"/> named <paramref name="name"/> (empty: <c>{jobId}.safetensors</c>)
    /// under <paramref name="outputDirectory"/>.
    /// </summary>
    /// <exception cref="InvalidJobSpecException">The name is not acceptable, or leaves the directory (field <c>output</c>).</exception>
    public static string Resolve(string outputDirectory, string jobId, string name)
    {
        if (Problem(name) is { } problem)
        {
            throw new InvalidJobSpecException("output", problem);
        }
        string root = Path.GetFullPath(outputDirectory);
        string path = Path.GetFullPath(Path.Combine(root, name.Length == 0 ? $"{jobId}.safetensors" : name));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidJobSpecException("output", $"'{LogText.Escape(name)}' leaves the silo's output directory.");
        }
        return path;
    }

    /// <summary>
    /// Throws unless every folder between <paramref name="outputDirectory"/> and <paramref name="path"/> that exists is a
    /// real folder (not a symbolic link) and the file itself, if it exists, is not a link: a link planted in the output
    /// directory cannot carry a result elsewhere.
    /// </summary>
    /// <exception cref="InvalidJobSpecException">A link on the way (field <c>output</c>).</exception>
    public static void CheckNoLinks(string outputDirectory, string path)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory));
        for (string? at = path; at is not null && at.Length > root.Length; at = Path.GetDirectoryName(at))
        {
            var info = new FileInfo(at);
            if (info.Exists || Directory.Exists(at))
            {
                if (info.LinkTarget is not null || new DirectoryInfo(at).LinkTarget is not null)
                {
                    throw new InvalidJobSpecException("output", $"'{LogText.Escape(at[(root.Length + 1)..])}' under the output directory is a symbolic link; results are not written through links.");
                }
            }
        }
    }
}
