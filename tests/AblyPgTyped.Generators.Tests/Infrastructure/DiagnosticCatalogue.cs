extern alias generator;

using System.Linq;
using generator::AblyPgTyped.Generators;

namespace AblyPgTyped.Generators.Tests.Infrastructure;

internal static class DiagnosticCatalogue
{
    public static string[] Ids() => DiagnosticDescriptors.All.Select(d => d.Id).ToArray();
}
