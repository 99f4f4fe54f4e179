using System;

namespace AblyPgTyped.Publishing;

/// <summary>
/// Thrown when <see cref="AblyOptions"/> hold an invalid value. The message names the option and the problem and
/// never contains the API key secret.
/// </summary>
public sealed class AblyConfigurationException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public AblyConfigurationException()
    {
    }

    /// <summary>Creates an exception with a message naming the invalid option.</summary>
    /// <param name="message">What is wrong and with which option.</param>
    public AblyConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong and with which option.</param>
    /// <param name="innerException">The underlying error.</param>
    public AblyConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the invalid option.</summary>
    /// <param name="optionName">The <see cref="AblyOptions"/> property at fault, e.g. <c>ApiKey</c>.</param>
    /// <param name="message">What is wrong with it.</param>
    public AblyConfigurationException(string optionName, string message)
        : base("AblyOptions." + optionName + ": " + message)
    {
        OptionName = optionName;
    }

    /// <summary>The <see cref="AblyOptions"/> property at fault, when known.</summary>
    public string? OptionName { get; }
}
