using AblyPgTyped.Publishing;
using Microsoft.Extensions.Options;

namespace AblyPgTyped.Hosting;

/// <summary>Runs <see cref="ConnectorOptions.Validate"/> for the named options of one connector, at the host's start.</summary>
internal sealed class ConnectorOptionsValidator(string name) : IValidateOptions<ConnectorOptions>
{
    public ValidateOptionsResult Validate(string? optionsName, ConnectorOptions options)
    {
        if (!string.Equals(optionsName ?? Options.DefaultName, name, System.StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (AblyConfigurationException e)
        {
            return ValidateOptionsResult.Fail(AblyPgConnectorBuilder.Describe(name) + ": " + e.Message);
        }
    }
}
