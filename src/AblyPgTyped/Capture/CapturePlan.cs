using System.Collections.Generic;

namespace AblyPgTyped.Capture;

/// <summary>What the start-up checks found.</summary>
/// <param name="InstallId">The installation's id (which prefixes every message id); null for a standby.</param>
/// <param name="SetAside">Mappings whose table was dropped or renamed after capture was installed on it.</param>
/// <param name="Installed">Why the install script ran (the differences it fixed); empty when nothing was installed.</param>
/// <param name="Logical">With logical-replication capture, what the active connector's capture source needs; else null.</param>
internal sealed record CapturePlan(string? InstallId, IReadOnlyList<SetAsideMapping> SetAside, IReadOnlyList<string> Installed, Logical.LogicalSetup? Logical = null);
