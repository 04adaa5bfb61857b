using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ExpertsAtHand.EventStore;

/// <summary>
/// Maps stable names to CLR types, for events and messages alike. Stored data carries the name, never the class name,
/// so renaming or moving a record never breaks the log; an upcaster reshapes old payloads.
/// </summary>
public sealed class TypeRegistry
{
    private readonly Dictionary<string, Type> _typesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, string> _namesByType = [];
    private readonly Dictionary<string, Func<JsonObject, object>> _upcasters = new(StringComparer.Ordinal);

    public TypeRegistry(JsonSerializerOptions? serializerOptions = null)
    {
        SerializerOptions = serializerOptions ?? DefaultSerializerOptions();
    }

    public JsonSerializerOptions SerializerOptions { get; }

    public static JsonSerializerOptions DefaultSerializerOptions() => new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public TypeRegistry Register<TEvent>(string name) => Register(typeof(TEvent), name);

    public TypeRegistry Register(Type type, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_typesByName.TryGetValue(name, out var existing) && existing != type)
        {
            throw new InvalidOperationException($"Event name '{name}' is already registered for {existing.Name}.");
        }

        _typesByName[name] = type;
        _namesByType[type] = name;
        return this;
    }

    /// <summary>Events stored under <paramref name="storedName"/> are rebuilt by <paramref name="upcast"/> when read.</summary>
    public TypeRegistry Upcast(string storedName, Func<JsonObject, object> upcast)
    {
        _upcasters[storedName] = upcast;
        return this;
    }

    public string NameOf(Type type) => _namesByType.TryGetValue(type, out var name)
        ? name
        : throw new InvalidOperationException($"Event type {type.FullName} is not registered; register it with a stable name.");

    public Type TypeOf(string name) => _typesByName.TryGetValue(name, out var type)
        ? type
        : throw new InvalidOperationException($"No type is registered under '{name}'.");

    public string Serialize(object @event) => JsonSerializer.Serialize(@event, @event.GetType(), SerializerOptions);

    public object Deserialize(string name, string json)
    {
        if (_upcasters.TryGetValue(name, out var upcast))
        {
            var node = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidOperationException($"Event '{name}' holds no JSON object.");
            return upcast(node);
        }

        return JsonSerializer.Deserialize(json, TypeOf(name), SerializerOptions)
               ?? throw new InvalidOperationException($"Event '{name}' deserialised to null.");
    }
}
