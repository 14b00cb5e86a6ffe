#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK on the ELF64 version-need entry named <see cref="VersionName"/> in each file, when the
/// system libstdc++ does not define that version. Idempotent; touches nothing when the system is new enough.
/// </summary>
public sealed class WeakenGlibcxxVersionNeed : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibstdcxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        string? libstdcxx = Array.Find(LibstdcxxCandidates, File.Exists);
        if (libstdcxx is null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; TorchSharp load fix not needed.");
            return true;
        }
        if (Contains(File.ReadAllBytes(libstdcxx), Encoding.ASCII.GetBytes(VersionName + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"{libstdcxx} defines {VersionName}; TorchSharp load fix not needed.");
            return true;
        }
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            string result = Patch(path);
            Log.LogMessage(MessageImportance.Normal, $"TorchSharp load fix: {path}: {result}");
        }
        return !Log.HasLoggedErrors;
    }

    private string Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogWarning($"{path} is not a little-endian ELF64 file; left unchanged.");
            return "skipped";
        }
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed)
            {
                continue;
            }
            int verneedOffset = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
            int linkedStrtab = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int entries = (int)BitConverter.ToUInt32(elf, sh + 0x2C);
            int strtabOffset = checked((int)BitConverter.ToUInt64(elf, (int)shoff + linkedStrtab * shentsize + 0x18));
            return PatchVerneed(path, elf, verneedOffset, entries, strtabOffset);
        }
        return "no version-need section";
    }

    private string PatchVerneed(string path, byte[] elf, int verneed, int entries, int strtab)
    {
        for (int n = 0; n < entries; n++)
        {
            int count = BitConverter.ToUInt16(elf, verneed + 2);
            int aux = verneed + (int)BitConverter.ToUInt32(elf, verneed + 8);
            for (int a = 0; a < count; a++)
            {
                string name = ReadCString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                if (name == VersionName)
                {
                    ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                    if ((flags & VerFlgWeak) != 0)
                    {
                        return "already weak";
                    }
                    BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                    // Write beside and rename, so a hard-linked output never patches the package cache.
                    string temporary = path + ".loomfix";
                    File.WriteAllBytes(temporary, elf);
                    File.Delete(path);
                    File.Move(temporary, path);
                    return $"marked {VersionName} weak";
                }
                aux += (int)BitConverter.ToUInt32(elf, aux + 12);
            }
            verneed += (int)BitConverter.ToUInt32(elf, verneed + 12);
        }
        return $"no need for {VersionName}";
    }

    private static string ReadCString(byte[] data, int offset)
    {
        int end = Array.IndexOf(data, (byte)0, offset);
        return Encoding.ASCII.GetString(data, offset, end - offset);
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }
            if (j == needle.Length)
            {
                return true;
            }
        }
        return false;
    }
}
