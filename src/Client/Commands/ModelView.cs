using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Client.Hub;
using Loom.Embedded.ModelFolders;

namespace Loom.Client.Commands;

/// <summary>How <c>loom models</c> shows a model folder: one summary line, or one JSON object.</summary>
internal static class ModelView
{
    /// <summary><c>NAME: wan2.1 t2v, official layout, 17.4 GB in DIR</c>.</summary>
    public static string Summary(ModelFolder model)
    {
        string boundary = model.Boundary is double b ? $", experts switch at t = {(b * 1000).ToString("0", CultureInfo.InvariantCulture)}" : "";
        return model.Kind is null
            ? $"{model.Name}: not a Wan model ({model.Directory})"
            : $"{model.Name}: {model.Family} {model.Kind}, {model.Layout} layout, {ByteSize.Format(model.Bytes)}{boundary}, in {model.Directory}";
    }

    /// <summary>The folder as JSON: identity, components with their files and sizes, problems.</summary>
    public static JsonObject Json(ModelFolder model) => new()
    {
        ["name"] = model.Name,
        ["directory"] = model.Directory,
        ["family"] = model.Family,
        ["kind"] = model.Kind,
        ["layout"] = model.Layout,
        ["boundary"] = model.Boundary,
        ["bytes"] = model.Bytes,
        ["ok"] = model.IsModel,
        ["components"] = new JsonArray([.. model.Components.Select(c => (JsonNode)new JsonObject
        {
            ["role"] = c.Role,
            ["path"] = c.Path,
            ["bytes"] = c.Bytes,
            ["files"] = new JsonArray([.. c.Files.Select(f => (JsonNode)JsonValue.Create(f)!)]),
        })]),
        ["problems"] = new JsonArray([.. model.Problems.Select(p => (JsonNode)JsonValue.Create(p)!)]),
    };
}
