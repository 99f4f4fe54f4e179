using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// One endpoint per plan: a LocalAbly server in this process for each plan asked for, started on first use; or the one
/// LocalAbly given on the command line, which serves only the plan it was started with.
/// </summary>
internal sealed class PlanEndpoints : IAsyncDisposable
{
    private readonly Dictionary<BenchPlan, BenchEndpoint> _endpoints = [];
    private readonly RemoteEndpoint? _remote;
    private readonly TimeSpan _delay;

    private PlanEndpoints(RemoteEndpoint? remote, TimeSpan delay)
    {
        _remote = remote;
        _delay = delay;
    }

    /// <summary>Whether the endpoint was started elsewhere.</summary>
    public bool IsRemote => _remote is not null;

    /// <summary>The plan of the endpoint given on the command line, if any.</summary>
    public BenchPlan? RemotePlan => _remote?.Plan;

    /// <summary>
    /// Starts a LocalAbly server for each of <paramref name="plans"/> and Unlimited (for the baselines); each delays
    /// every publish request by <paramref name="delay"/>.
    /// </summary>
    public static async Task<PlanEndpoints> InProcessAsync(IEnumerable<BenchPlan> plans, TimeSpan delay)
    {
        var endpoints = new PlanEndpoints(null, delay);
        foreach (var plan in plans.Append(BenchPlan.Unlimited).Distinct())
        {
            await endpoints.ForAsync(plan);
        }

        return endpoints;
    }

    public static async Task<PlanEndpoints> RemoteAsync(string host, int port, string apiKey) => new(await RemoteEndpoint.ConnectAsync(host, port, apiKey), TimeSpan.Zero);

    /// <summary>
    /// The endpoint for figures that do not depend on a plan (write, start-up) and for the "endpoint alone" baselines:
    /// an unlimited one, or the remote one.
    /// </summary>
    public Task<BenchEndpoint> UnmeteredAsync() => _remote is not null ? Task.FromResult<BenchEndpoint>(_remote) : ForAsync(BenchPlan.Unlimited);

    /// <summary>The endpoint enforcing <paramref name="plan"/>'s limits.</summary>
    public async Task<BenchEndpoint> ForAsync(BenchPlan plan)
    {
        if (_remote is not null)
        {
            return _remote.Plan == plan
                ? _remote
                : throw new InvalidOperationException($"The endpoint at {_remote.Host}:{_remote.Port} enforces the {_remote.Plan.Name} plan; pass --plans {_remote.Plan.Name.ToLowerInvariant()}.");
        }

        if (!_endpoints.TryGetValue(plan, out var endpoint))
        {
            _endpoints[plan] = endpoint = await InProcessEndpoint.StartAsync(plan, _delay);
        }

        return endpoint;
    }

    /// <summary>What the endpoints are, for the report's header.</summary>
    public string Describe() => _remote is not null
        ? _remote.Description
        : "LocalAbly in the benchmark process, one server per plan (HTTP/1.1, JSON, idempotency on): " + string.Join("; ", _endpoints.Values.Select(e => e.Description));

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in _endpoints.Values)
        {
            await endpoint.DisposeAsync();
        }

        if (_remote is not null)
        {
            await _remote.DisposeAsync();
        }
    }
}
