namespace Dial;

/// <summary>
/// Picks a model for a request. Every router, learned or not, is used through this one interface: the
/// evaluation harness, the gateway and the CLI treat them alike.
/// </summary>
public interface IRouter
{
    string Name { get; }

    RoutingDecision Route(RoutingRequest request);
}
