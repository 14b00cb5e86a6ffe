namespace Loom.Grains.Storage;

/// <summary>A latent (float32 bytes) after <see cref="StepsDone"/> outer steps.</summary>
public sealed record LatentCheckpoint(int StepsDone, byte[] Latent)
{
    /// <summary>Serialized form: step count (int32 LE) then the latent bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[4 + Latent.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), StepsDone);
        Latent.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>' form.</summary>
    /// <exception cref="InvalidDataException">Too short to be a checkpoint.</exception>
    public static LatentCheckpoint FromBytes(byte[] bytes) => bytes.Length < 4
        ? throw new InvalidDataException("checkpoint is shorter than its header.")
        : new LatentCheckpoint(BitConverter.ToInt32(bytes, 0), bytes[4..]);
}
