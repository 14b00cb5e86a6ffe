using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Loom.Grains.Storage;

/// <summary>
/// A latent (float32 bytes) after <see cref="StepsDone"/> outer steps, written by the job loop of <see cref="Epoch"/>
/// (each loop start of a job takes a higher epoch; a store refuses a checkpoint older than the one it holds, so a
/// superseded loop cannot write). A tombstone (step 0, no latent) keeps the epoch of a finished job's deleted checkpoint.
/// </summary>
public sealed record LatentCheckpoint(int StepsDone, byte[] Latent, long Epoch = 0)
{
    /// <summary>First bytes of every checkpoint (format 3: epoch and checksum).</summary>
    public static ReadOnlySpan<byte> Magic => "LMCK0003"u8;

    private const int HeaderBytes = 8 + 4 + 8 + 8 + 32;
    private const int ChecksumAt = 28;

    /// <summary>True for the tombstone a deleted checkpoint leaves.</summary>
    public bool IsTombstone => StepsDone == 0 && Latent.Length == 0;

    /// <summary>What a job's checkpoint becomes when it is deleted by the loop of <paramref name="epoch"/>.</summary>
    public static LatentCheckpoint Tombstone(long epoch) => new(0, [], epoch);

    /// <summary>
    /// Serialized form: <see cref="Magic"/>, the step count (int32 LE), the epoch (int64 LE), the latent's length (int64
    /// LE), the SHA-256 of step, epoch and latent, then the latent bytes. Written whole with the checkpoint, so a
    /// checkpoint is verified by itself, wherever it is stored.
    /// </summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + Latent.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8, 4), StepsDone);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12, 8), Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(20, 8), Latent.Length);
        Latent.CopyTo(bytes, HeaderBytes);
        Checksum(bytes).CopyTo(bytes.AsSpan(ChecksumAt, 32));
        return bytes;
    }

    /// <summary>Bytes at the start of a checkpoint that <see cref="ClaimedEpoch"/> reads.</summary>
    public const int EpochHeaderBytes = 28;

    /// <summary>
    /// The epoch <paramref name="header"/> (a checkpoint's first <see cref="EpochHeaderBytes"/>) claims, not verified
    /// against the checksum; null unless it starts with <see cref="Magic"/> and its latent length fits
    /// <paramref name="totalBytes"/>.
    /// </summary>
    public static long? ClaimedEpoch(ReadOnlySpan<byte> header, long totalBytes)
    {
        if (header.Length < EpochHeaderBytes || !header[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt64LittleEndian(header.Slice(20, 8)) != totalBytes - HeaderBytes)
        {
            return null;
        }
        return BinaryPrimitives.ReadInt64LittleEndian(header.Slice(12, 8));
    }

    /// <summary>Reads <see cref="ToBytes"/>' form, verifying its checksum.</summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, truncated, or its bytes do not match their checksum.</exception>
    public static LatentCheckpoint FromBytes(byte[] bytes)
    {
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException("corrupt checkpoint: not a Loom checkpoint (bad header).");
        }
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(20, 8));
        if (length != bytes.Length - HeaderBytes)
        {
            throw new InvalidDataException($"corrupt checkpoint: {bytes.Length - HeaderBytes} latent bytes, the header says {length}.");
        }
        if (!CryptographicOperations.FixedTimeEquals(Checksum(bytes), bytes.AsSpan(ChecksumAt, 32)))
        {
            throw new InvalidDataException("corrupt checkpoint: its bytes do not match their SHA-256.");
        }
        return new LatentCheckpoint(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8, 4)), bytes[HeaderBytes..], BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12, 8)));
    }

    /// <summary>
    /// Throws unless this checkpoint can belong to a job of <paramref name="steps"/> steps whose latent is
    /// <paramref name="latentBytes"/> bytes: a step out of 1..steps or a latent of another size is corrupt too.
    /// </summary>
    /// <exception cref="InvalidDataException">It cannot.</exception>
    public void CheckFits(int steps, long latentBytes)
    {
        if (StepsDone < 1 || StepsDone > steps)
        {
            throw new InvalidDataException($"corrupt checkpoint: step {StepsDone} is outside 1..{steps}.");
        }
        if (Latent.LongLength != latentBytes)
        {
            throw new InvalidDataException($"corrupt checkpoint: a latent of {Latent.LongLength} bytes, the job's has {latentBytes}.");
        }
    }

    /// <summary>SHA-256 of the step count, the epoch and the latent (bytes 8..20 and the payload).</summary>
    private static byte[] Checksum(byte[] bytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(bytes, 8, 12);
        sha.AppendData(bytes, HeaderBytes, bytes.Length - HeaderBytes);
        return sha.GetHashAndReset();
    }
}
