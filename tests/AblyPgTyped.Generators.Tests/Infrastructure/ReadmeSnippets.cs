using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace AblyPgTyped.Generators.Tests.Packaging;

/// <summary>
/// The README's <c>```csharp</c> blocks as the files of a consumer project: a block that declares something (a mapped
/// type, an assembly attribute) is a file of its own; a block of statements becomes the body of a method of its own.
/// The blocks' <c>using</c> directives become the project's global usings. What the blocks take as given (a host
/// builder, a logger factory, the entities of the hosting example) is declared by <c>Consumer/Readme/Context.cs.txt</c>.
/// </summary>
internal static partial class ReadmeSnippets
{
    /// <summary>The blocks, in order, with the README line each starts at.</summary>
    public static List<(int Line, string Code)> Extract(string readme)
    {
        var blocks = new List<(int, string)>();
        var lines = readme.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (fence != "```csharp")
            {
                continue;
            }

            var indent = lines[i].Length - fence.Length;
            var code = new StringBuilder();
            var start = i + 1;
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.Append(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart()).Append('\n');
            }

            blocks.Add((start + 1, code.ToString()));
        }

        return blocks;
    }

    /// <summary>The project's source files (name, text) for the blocks.</summary>
    public static List<(string File, string Text)> ToSources(IEnumerable<(int Line, string Code)> blocks, string rootNamespace)
    {
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var files = new List<(string, string)>();
        var methods = new StringBuilder();
        foreach (var (line, code) in blocks)
        {
            var body = new StringBuilder();
            foreach (var text in code.Split('\n'))
            {
                // A directive leaves an empty line, so the #line mapping stays exact.
                var match = UsingDirective().Match(text);
                if (match.Success)
                {
                    usings.Add(match.Groups[1].Value);
                }

                body.Append(match.Success ? "" : text).Append('\n');
            }

            var source = $"#line {line} \"README.md\"\n" + body;
            if (Declaration().IsMatch(body.ToString()))
            {
                files.Add(($"Readme{line}.cs", source));
                continue;
            }

            var isAsync = body.ToString().Contains("await ", StringComparison.Ordinal);
            methods.Append($"    internal static {(isAsync ? "async Task" : "void")} ReadmeLine{line}()\n    {{\n")
                .Append(source)
                .Append("#line default\n    }\n\n");
        }

        files.Add(("ReadmeStatements.cs", $"namespace {rootNamespace};\n\ninternal static partial class ReadmeContext\n{{\n{methods}}}\n"));
        files.Add(("ReadmeUsings.cs", string.Concat(usings.Select(u => $"global using {u};\n"))));
        return files;
    }

    /// <summary><c>using X.Y;</c> (not <c>using var</c>, not <c>using (…)</c>).</summary>
    [GeneratedRegex(@"^\s*using\s+([A-Za-z_][\w.]*)\s*;")]
    private static partial Regex UsingDirective();

    /// <summary>A block that declares: an attribute at the start of a line, or a type.</summary>
    [GeneratedRegex(@"^\s*(\[|(public|internal)\s+(sealed\s+|static\s+|partial\s+)*(record|class|struct|interface|enum)\b)", RegexOptions.Multiline)]
    private static partial Regex Declaration();
}
