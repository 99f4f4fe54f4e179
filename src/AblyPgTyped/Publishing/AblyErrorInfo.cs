namespace AblyPgTyped.Publishing;

/// <summary>
/// An Ably error: <paramref name="Code"/> is Ably's error code (e.g. 40160, 42913, 50003), <paramref name="StatusCode"/>
/// the HTTP status it maps to, and <paramref name="Message"/> the text (never containing the API key secret).
/// </summary>
/// <param name="Code">Ably error code.</param>
/// <param name="StatusCode">HTTP status.</param>
/// <param name="Message">Error message.</param>
internal sealed record AblyErrorInfo(int Code, int StatusCode, string Message)
{
    /// <summary>Short form for logs: <c>code/status: message</c>.</summary>
    public override string ToString() =>
        Code.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": " + Message;
}
