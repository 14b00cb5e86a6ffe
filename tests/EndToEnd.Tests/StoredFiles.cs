using System.Security.Cryptography;
using System.Text;

namespace Loom.EndToEnd.Tests;

/// <summary>Where an embedded-mode silo keeps a job's files under its data directory (the layout the fault tests corrupt).</summary>
public static class StoredFiles
{
    /// <summary>The checkpoint of <paramref name="jobId"/>: <c>latents/{name}.latent</c>, named as the silo's file stores name every id.</summary>
    public static string Checkpoint(string dataDirectory, string jobId) => Path.Combine(dataDirectory, "latents", FileName(jobId) + ".latent");

    /// <summary>The stored result of <paramref name="jobId"/>.</summary>
    public static string Result(string dataDirectory, string jobId) => Path.Combine(dataDirectory, "results", FileName(jobId) + ".safetensors");

    /// <summary>The state file of the render job grain of <paramref name="jobId"/> (an id of letters, digits and '-').</summary>
    public static string JobState(string dataDirectory, string jobId)
        => Assert.Single(Directory.GetFiles(Path.Combine(dataDirectory, "state"), $"*_{jobId}-*.state", SearchOption.AllDirectories));

    /// <summary>The silo's file name for an id: its readable characters (at most 80) and 12 hex digits of its SHA-256.</summary>
    private static string FileName(string id)
        => $"{new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(80).ToArray())}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..12]}";
}
