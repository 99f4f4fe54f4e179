using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped;
using Microsoft.Extensions.Logging;

namespace TypedApp;

/// <summary>
/// A scoped service, as an EF Core <c>DbContext</c> is: one instance per change handled, disposed after it.
/// </summary>
public sealed class OrderAudit(ILogger<OrderAudit> log) : IDisposable
{
    private int _recorded;

    public void Record(string what, Guid orderId)
    {
        _recorded++;
        log.LogDebug("Audit: {What} {OrderId}", what, orderId);
    }

    public void Dispose() => log.LogDebug("Audit scope closed after {Count} record(s)", _recorded);
}

/// <summary>Handles every captured change to orders, in a new service scope each time.</summary>
public sealed class OrderHandler(OrderAudit audit, ILogger<OrderHandler> log) : IChangeHandler<Order>
{
    public Task HandleAsync(Change<Order> change, CancellationToken cancellationToken)
    {
        switch (change.Kind)
        {
            case ChangeKind.Insert:
                audit.Record("placed", change.New!.Id);
                log.LogInformation("New order {Id} from {Customer}: {Total:C}", change.New.Id, change.New.Customer, change.New.Total);
                break;
            case ChangeKind.Update when change.Old!.Status != change.New!.Status:
                audit.Record("status", change.New.Id);
                log.LogInformation("Order {Id}: {From} -> {To}", change.New.Id, change.Old.Status, change.New.Status);
                break;
        }

        return Task.CompletedTask;
    }
}
