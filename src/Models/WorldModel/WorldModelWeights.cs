using System.Text.Json;
using Loom.Models.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Loom.Models.WorldModel;

/// <summary>Saves and loads the world model's weights as safetensors, with its config in the metadata.</summary>
public static class WorldModelWeights
{
    /// <summary>Metadata key holding the <see cref="WorldModelConfig"/> as JSON.</summary>
    public const string ConfigKey = "loom.config";

    /// <summary>Prefix of model tensors inside a file (checkpoints also hold optimizer state under other prefixes).</summary>
    public const string Prefix = "model.";

    /// <summary>The model's parameters by name, with <see cref="Prefix"/>.</summary>
    public static Dictionary<string, Tensor> Tensors(PhysicsWorldModel model) =>
        model.named_parameters().ToDictionary(p => Prefix + p.name, p => (Tensor)p.parameter);

    /// <summary>Writes the model (float32) and its config, plus any extra metadata.</summary>
    public static void Save(string path, PhysicsWorldModel model, IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyDictionary<string, Tensor>? extra = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [ConfigKey] = JsonSerializer.Serialize(model.Config) };
        var tensors = Tensors(model);
        foreach (var (name, tensor) in extra ?? new Dictionary<string, Tensor>())
        {
            tensors[name] = tensor;
        }
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>
    /// Builds the model from a file: the config comes from its metadata, and every parameter must be present with
    /// the right shape; otherwise the error lists what is missing, unexpected or mis-shaped.
    /// </summary>
    /// <exception cref="InvalidDataException">The file does not hold this model.</exception>
    public static PhysicsWorldModel Load(string path, Dictionary<string, Tensor>? rest = null)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        try
        {
            if (!metadata.TryGetValue(ConfigKey, out string? configJson))
            {
                throw new InvalidDataException($"{path}: no '{ConfigKey}' metadata; not a Loom world-model file.");
            }
            WorldModelConfig config = JsonSerializer.Deserialize<WorldModelConfig>(configJson)
                ?? throw new InvalidDataException($"{path}: '{ConfigKey}' metadata is empty.");
            if (!configJson.Contains("\"Prediction\"", StringComparison.Ordinal) || config.Prediction != WorldModelConfig.CleanPrediction)
            {
                throw new InvalidDataException($"{path}: the model predicts '{config.Prediction ?? "velocity (an older file)"}', this build needs '{WorldModelConfig.CleanPrediction}'; retrain with tools/Loom.Train.");
            }
            var model = new PhysicsWorldModel(config);
            var problems = new List<string>();
            var expected = model.named_parameters().ToDictionary(p => Prefix + p.name, p => p.parameter);
            foreach (var (name, parameter) in expected)
            {
                if (!tensors.TryGetValue(name, out Tensor? value))
                {
                    problems.Add($"missing {name} [{string.Join(", ", parameter.shape)}]");
                }
                else if (!value.shape.SequenceEqual(parameter.shape))
                {
                    problems.Add($"{name}: file has [{string.Join(", ", value.shape)}], model needs [{string.Join(", ", parameter.shape)}]");
                }
            }
            problems.AddRange(tensors.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal) && !expected.ContainsKey(k)).Select(k => $"unexpected {k}"));
            if (problems.Count > 0)
            {
                model.Dispose();
                throw new InvalidDataException($"{path} does not match the world model ({problems.Count} problems): {string.Join("; ", problems.Take(8))}");
            }
            using (no_grad())
            {
                foreach (var (name, parameter) in expected)
                {
                    parameter.copy_(tensors[name].to(parameter.dtype));
                }
            }
            model.eval();
            if (rest is not null)
            {
                foreach (var (name, tensor) in tensors.Where(kv => !expected.ContainsKey(kv.Key)).ToList())
                {
                    rest[name] = tensor;
                    tensors.Remove(name);
                }
            }
            return model;
        }
        finally
        {
            foreach (Tensor tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Reads only the metadata of a weights file.</summary>
    public static Dictionary<string, string> Metadata(string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        foreach (Tensor tensor in tensors.Values)
        {
            tensor.Dispose();
        }
        return metadata;
    }
}
