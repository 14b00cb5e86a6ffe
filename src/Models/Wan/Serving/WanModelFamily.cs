using System.Security.Cryptography;
using System.Text;
using Loom.Models.Serving;
using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Pipeline;
using Loom.Models.Wan.Transformer;
using Loom.Models.Weights;

namespace Loom.Models.Wan.Serving;

/// <summary>
/// Wan2.1 / Wan2.2 at the shard: a folder in the official or the Diffusers layout (<see cref="WanModelFolder"/>),
/// named by the folder's name. The shard hosts the transformer (both experts for A14B); the text encoder and the VAE
/// run where the job runs. Memory is the transformers' parameters in the compute dtype, one part per expert.
/// </summary>
public sealed class WanModelFamily : IModelFamily
{
    /// <summary>The family's name.</summary>
    public const string FamilyName = "wan";

    /// <summary>Bytes of each end of a weight file that go into the identity hash.</summary>
    private const int SampledBytes = 1 << 20;

    /// <inheritdoc />
    public string Name => FamilyName;

    /// <summary>The transformer roles of a folder: <c>transformer</c>, or the two experts (high noise first).</summary>
    public static string[] Roles(WanModelFolder folder) => folder.Component("transformer") is null ? ["high_noise", "low_noise"] : ["transformer"];

    /// <summary>The transformer config of <paramref name="component"/>.</summary>
    public static WanTransformerConfig Config(WanModelFolder folder, WanComponent component)
    {
        string path = Path.Combine(folder.Directory, component.Files.Single(f => Path.GetFileName(f) == "config.json"));
        return WanTransformerConfig.Parse(File.ReadAllText(path), path);
    }

    /// <summary>The safetensors files of <paramref name="component"/>, full paths.</summary>
    public static string[] WeightFiles(WanModelFolder folder, WanComponent component)
        => component.Files.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)).Select(f => Path.Combine(folder.Directory, f)).ToArray();

    /// <inheritdoc />
    /// <remarks>Every folder is looked at: a folder that is no Wan model is skipped with the reasons <see cref="WanModelFolder"/> gives.</remarks>
    public ModelFound? Recognise(string path, ModelOpenOptions options)
    {
        if (!Directory.Exists(path))
        {
            return null;
        }
        WanModelFolder folder = WanModelFolder.Inspect(path);
        if (!folder.IsModel)
        {
            return ModelFound.Skipped(path, string.Join(" ", folder.Problems));
        }
        if (folder.Kind is not (WanKind.T2V or WanKind.I2V or WanKind.T2VA14B or WanKind.I2VA14B))
        {
            return ModelFound.Skipped(path, $"a {folder.Family} {folder.Kind} model; shards run t2v, i2v, t2v-a14b and i2v-a14b.");
        }
        try
        {
            string[] roles = Roles(folder);
            var parts = new List<ModelPart>();
            WanTransformerConfig? config = null;
            foreach (string role in roles)
            {
                WanComponent component = folder.Component(role)!;
                config = Config(folder, component);
                string[] files = WeightFiles(folder, component);
                using (var source = new TensorSourceSet(files.Select(f => (ITensorSource)MappedSafeTensors.Open(f)).ToList()))
                {
                    if (WanWeightLoader.ImageDim(source) is not null)
                    {
                        return ModelFound.Skipped(path, $"{component.Path}: this transformer takes CLIP image tokens (img_emb, Wan2.1 image-to-video); the CLIP image encoder is not ported yet.");
                    }
                }
                parts.Add(new ModelPart(role, ModelMemory.FromHeaders(files, options.ComputeType)));
            }
            var memory = new ModelMemory(options.ComputeType, parts);
            string sha = Identity(folder, roles);
            long bytes = roles.Sum(r => folder.Component(r)!.Bytes);
            var conditioning = new List<ConditioningSlot>
            {
                new(ConditioningNames.Prompt, true, $"the prompt's UMT5 embedding, its valid tokens [<= {config!.TextLen}, {config.TextDim}]"),
                new(ConditioningNames.NegativePrompt, false, $"the negative prompt's embedding [<= {config.TextLen}, {config.TextDim}], when guidance > 1"),
            };
            if (config.IsImageToVideo)
            {
                conditioning.Add(new(ConditioningNames.Image, true, $"the window's image condition y [1, {config.InDim - config.OutDim}, F, h, w]"));
            }
            string experts = roles.Length == 2 ? $", experts switch at t >= {folder.Boundary!.Value * 1000:0.#}" : "";
            var info = new ShardModelInfo(
                folder.Name, FamilyName, folder.Directory,
                $"{folder.Family} {folder.Kind}, {folder.Layout} layout, {folder.Bytes} bytes in {folder.Directory}; {config}{experts}; "
                + $"on a device {memory.Bytes} bytes in {options.ComputeType} ({string.Join(", ", parts.Select(p => $"{p.Name} {p.Bytes}"))})",
                sha, bytes,
                new LatentLayout(config.OutDim, config.PatchSize, [4, 8, 8], null, null, null),
                conditioning, memory);
            return new ModelFound(path, info, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or System.Text.Json.JsonException)
        {
            return ModelFound.Skipped(path, e.Message);
        }
    }

    /// <inheritdoc />
    public IShardModel Open(ShardModelInfo info) => new WanShardModel(info, WanModelFolder.Inspect(info.Path), info.Memory.ComputeType);

    /// <summary>
    /// The transformers' identity: SHA-256 over each config and each weight file's name, length, first and last MiB
    /// (hashing every byte of 28 GB at each start would take minutes; any re-save or fine-tune changes these).
    /// </summary>
    private static string Identity(WanModelFolder folder, string[] roles)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[SampledBytes];
        foreach (string role in roles)
        {
            foreach (string relative in folder.Component(role)!.Files.Order(StringComparer.Ordinal))
            {
                using FileStream stream = File.OpenRead(Path.Combine(folder.Directory, relative));
                hash.AppendData(Encoding.UTF8.GetBytes($"{relative.Replace('\\', '/')}\n{stream.Length}\n"));
                int read = stream.ReadAtLeast(buffer, (int)Math.Min(buffer.Length, stream.Length), throwOnEndOfStream: false);
                hash.AppendData(buffer, 0, read);
                if (stream.Length > 2L * SampledBytes)
                {
                    stream.Seek(-SampledBytes, SeekOrigin.End);
                    read = stream.ReadAtLeast(buffer, SampledBytes, throwOnEndOfStream: false);
                    hash.AppendData(buffer, 0, read);
                }
                else if (stream.Length > SampledBytes)
                {
                    read = stream.ReadAtLeast(buffer, (int)(stream.Length - SampledBytes), throwOnEndOfStream: false);
                    hash.AppendData(buffer, 0, read);
                }
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
