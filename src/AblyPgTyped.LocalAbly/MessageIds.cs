using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;

namespace AblyPgTyped.LocalAbly;

/// <summary>How a publish is de-duplicated.</summary>
internal enum DedupMode
{
    /// <summary>All ids were assigned by the server: nothing to de-duplicate.</summary>
    None,

    /// <summary>Every publisher-supplied id is its own idempotency key (single message, or batch publish).</summary>
    PerMessage,

    /// <summary>A multi-message channel publish with ids <c>base:0..n-1</c>: the base is the one key (as Ably does).</summary>
    Group,
}

/// <summary>Message-id rules: server-assigned ids, and the <c>&lt;base&gt;:&lt;index&gt;</c> format for atomic publishes.</summary>
internal static class MessageIds
{
    /// <summary>A random id base like ably-js makes (9 random bytes, base64, 12 characters).</summary>
    public static string NewBase()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>A short random id (8 base-36 characters) for connections, keys and channel incarnations.</summary>
    public static string NewIncarnation() => RandomToken(8);

    /// <summary><paramref name="length"/> random characters from [0-9a-z].</summary>
    public static string RandomToken(int length)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    /// <summary>Final ids for the messages; server-assigned ones are <c>&lt;random&gt;:&lt;index&gt;</c>.</summary>
    public static string[] Assign(List<IncomingMessage> messages)
    {
        var ids = new string[messages.Count];
        string? generatedBase = null;
        for (var i = 0; i < ids.Length; i++)
        {
            var id = messages[i].Id;
            if (id is null)
            {
                generatedBase ??= NewBase();
                id = generatedBase + ":" + i.ToString(CultureInfo.InvariantCulture);
            }

            ids[i] = id;
        }

        return ids;
    }

    /// <summary>
    /// Decides de-duplication for a single-channel publish. A multi-message publish carrying ids must use
    /// <c>&lt;base&gt;:&lt;index&gt;</c> with one base and each index equal to the message position, else 40031.
    /// </summary>
    public static DedupMode ForChannelPublish(List<IncomingMessage> messages, out string? groupKey)
    {
        groupKey = null;
        var anyId = false;
        foreach (var message in messages)
        {
            if (message.Id is not null)
            {
                anyId = true;
                break;
            }
        }

        if (!anyId)
        {
            return DedupMode.None;
        }

        if (messages.Count == 1)
        {
            return DedupMode.PerMessage;
        }

        string? firstBase = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var id = messages[i].Id;
            if (id is null)
            {
                throw Format("message " + i + " has no id while others do");
            }

            var colon = id.LastIndexOf(':');
            if (colon <= 0
                || !int.TryParse(id.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index != i)
            {
                throw Format("id \"" + id + "\" of message " + i + " is not \"<base>:" + i + "\"");
            }

            var idBase = id.AsSpan(0, colon);
            if (firstBase is null)
            {
                firstBase = idBase.ToString();
            }
            else if (!idBase.SequenceEqual(firstBase))
            {
                throw Format("ids use more than one base (\"" + firstBase + "\" and \"" + idBase.ToString() + "\")");
            }
        }

        // The trailing ':' keeps a group key from ever equalling a single message's id.
        groupKey = firstBase + ":";
        return DedupMode.Group;
    }

    /// <summary>The <c>messageId</c> reported in publish responses: the shared base when ids are <c>base:i</c>, else the first id.</summary>
    public static string ResponseMessageId(string[] ids)
    {
        var first = ids[0];
        var colon = first.LastIndexOf(':');
        return colon > 0 ? first.Substring(0, colon) : first;
    }

    private static AblyException Format(string detail) =>
        AblyErrors.Error(400, AblyErrors.InvalidMessageId, "Client-specified message ids do not match the required format for multi-message publishes: every id must be <base>:<index> with one shared base and the message's position as index (" + detail + ")");
}
