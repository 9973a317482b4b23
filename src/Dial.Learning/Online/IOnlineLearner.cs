namespace Dial.Learning.Online;

/// <summary>
/// A router that keeps learning after deployment. The only feedback is the outcome of the model it chose, so
/// <see cref="Observe"/> takes exactly that: the request as it was routed, the model that answered and what
/// happened. Any online method (the linear bandits here, or an online fine-tuned offline policy) plugs in through
/// this interface; the gateway and the replay simulator know learners only by it.
/// </summary>
public interface IOnlineLearner : IRouter
{
    /// <summary>
    /// Learns from one outcome. Must be cheap (microseconds) and must never make a concurrent
    /// <see cref="IRouter.Route"/> wait.
    /// </summary>
    void Observe(RoutingRequest request, string model, Outcome outcome);

    /// <summary>The learner's whole state as bytes, for <see cref="ILearnerStateStore"/>; its own restore reads them back.</summary>
    byte[] Snapshot();
}
