using System.ComponentModel;
using System.Globalization;

namespace Loom.Silo;

/// <summary>Binds a plain string entry of <c>Loom:ApiKeys</c> (the format before keys had owners) as an admin key.</summary>
internal sealed class ApiKeyConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType)
        => sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
        => value is string key ? new ApiKey { Key = key, Role = ApiKeyRole.Admin } : base.ConvertFrom(context, culture, value);
}
