using Loom.Models.Serving;

namespace Loom.Grains.Shards;

/// <summary>
/// The models one shard holds on its device: opened from the catalog (on a simulated shard, stand-ins that only wait),
/// loaded whole or expert by expert within the shard's <see cref="ShardMemory"/>, the least recently used freed to make
/// room, and which of them have run their first (warm-up) pass. Loads and frees run on the shard's worker thread only;
/// <see cref="Names"/> may be read from any thread.
/// </summary>
internal sealed class ShardModels(ModelCatalog catalog, ShardMemory memory, ShardDevice device, TimeSpan simulatedForward) : IDisposable
{
    private readonly Dictionary<string, IShardModel> _held = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warm = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The models this shard serves now: all the catalog's on a simulated shard, else those loaded.</summary>
    public string[] Names()
    {
        lock (_gate)
        {
            return simulatedForward > TimeSpan.Zero ? catalog.Models.Keys.ToArray() : _held.Keys.ToArray();
        }
    }

    /// <summary><paramref name="name"/> as loaded here, or null.</summary>
    public IShardModel? Held(string name) => _held.GetValueOrDefault(name);

    /// <summary><paramref name="name"/> as loaded here, else an unloaded copy (see <see cref="Ensure"/>).</summary>
    public IShardModel Get(string name)
        => Held(name) ?? (simulatedForward > TimeSpan.Zero ? new SimulatedShardModel(catalog.Info(name), simulatedForward) : catalog.Open(name));

    /// <summary>Loads as much of every catalog model as fits without freeing another (a shard with room for one expert holds the first).</summary>
    public void Preload()
    {
        foreach (ShardModelInfo info in catalog.Models.Values)
        {
            foreach (string? unit in ShardMemory.Units(info))
            {
                try
                {
                    if (memory.Fits(info, unit))
                    {
                        Ensure(info.Name, Get(info.Name), [unit]);
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
                {
                    // Left unloaded: the first request for it loads it again and fails with this error, to its caller.
                }
            }
        }
    }

    /// <summary>
    /// Loads the <paramref name="units"/> of <paramref name="model"/> this shard lacks (its experts, or the whole model:
    /// null) onto the device (read into host memory, moved once), after freeing the least recently used models or experts
    /// where they do not fit (<see cref="ShardMemory"/>). True when anything was loaded.
    /// </summary>
    /// <exception cref="ShardUnavailableException">A unit does not fit, and this shard may not free enough.</exception>
    public bool Ensure(string name, IShardModel model, IReadOnlyList<string?> units)
    {
        ShardModelInfo info = catalog.Info(name);
        bool loaded = false;
        try
        {
            foreach (string? unit in memory.Needed(info, units))
            {
                foreach (var (victim, part) in memory.MakeRoom(info, unit, units))
                {
                    Free(victim, part, name);
                }
                if (unit is not null && model is IExpertShardModel experts)
                {
                    experts.LoadExpert(unit, device.Torch);
                }
                else
                {
                    model.Load(device.Torch);
                }
                memory.Loaded(info, unit);
                loaded = true;
                lock (_gate)
                {
                    _held[name] = model;
                }
            }
        }
        catch
        {
            if (!_held.ContainsKey(name))
            {
                model.Dispose();
            }
            throw;
        }
        memory.Used(info, units);
        return loaded;
    }

    /// <summary>True the first time <paramref name="units"/> of <paramref name="name"/> run since they were loaded (a simulated shard has nothing to warm).</summary>
    public bool FirstPass(string name, IReadOnlyList<string?> units)
        => simulatedForward <= TimeSpan.Zero && _warm.Add($"{name}/{string.Join(",", units)}");

    /// <summary>
    /// Frees <paramref name="expert"/> of <paramref name="name"/> (null: the whole model); a model left with no expert is
    /// dropped, unless it is <paramref name="loading"/>.
    /// </summary>
    private void Free(string name, string? expert, string loading)
    {
        if (!_held.TryGetValue(name, out IShardModel? model))
        {
            return;
        }
        if (expert is not null && model is IExpertShardModel experts)
        {
            experts.UnloadExpert(expert);
            if (experts.LoadedExperts.Count > 0 || name == loading)
            {
                return;
            }
        }
        lock (_gate)
        {
            _held.Remove(name);
        }
        _warm.RemoveWhere(w => w.StartsWith(name + "/", StringComparison.Ordinal));
        model.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (IShardModel model in _held.Values)
        {
            model.Dispose();
        }
    }
}
