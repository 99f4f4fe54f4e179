using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped;

/// <summary>
/// Handles the captured changes of <typeparamref name="T"/>'s table in a host. Registered with
/// <c>AddAblyPgConnector(…).AddChangeHandler&lt;T, THandler&gt;()</c>, it is resolved in a new service scope for each
/// change, so it may depend on scoped services (a <c>DbContext</c>, say). It runs as <see cref="Connector.On{T}"/>'s
/// handlers do: after Ably accepted the change, in position order, at least once.
/// </summary>
/// <typeparam name="T">The mapped type.</typeparam>
public interface IChangeHandler<T>
{
    /// <summary>Handles one change; <see cref="Change{T}.Kind"/> says which.</summary>
    Task HandleAsync(Change<T> change, CancellationToken cancellationToken);
}
