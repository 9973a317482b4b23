using System.CommandLine;
using System.Globalization;
using Dial.Data;
using Dial.Learning.Identity;
using Dial.Learning.Policy;

namespace Dial.Cli;

/// <summary><c>dial route</c>: asks a saved policy which model should answer a prompt under a cost weight.</summary>
internal static class RouteCommand
{
    public static Command Create()
    {
        var policyPath = new Option<string>("--policy") { Description = "A policy file written by dial train", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt to route", Required = true };
        var costWeight = new Option<double>("--cost-weight") { Description = "0 = quality only, 1 = cost only", DefaultValueFactory = _ => 0 };
        var candidates = new Option<string?>("--candidates") { Description = "Comma-separated model names to choose from (default: every model the policy knows)" };
        var identities = new Option<string?>("--identities") { Description = "Identity table with models onboarded after training (needs --models and a policy trained with --identities)" };
        var models = new Option<string?>("--models") { Description = "Model cards of the onboarded models" };
        var command = new Command("route", "Route one prompt with a trained policy") { policyPath, prompt, costWeight, candidates, identities, models };
        command.SetAction(parse =>
        {
            var policy = PolicyFile.Load(parse.GetValue(policyPath)!);
            var (idPath, cardsPath) = (parse.GetValue(identities), parse.GetValue(models));
            if ((idPath is null) != (cardsPath is null)) throw new ArgumentException("--identities and --models go together: the identities say how good a new model is, the cards what it costs");
            if (idPath is not null) policy = policy.WithModels(ModelCardReader.Read(cardsPath!), IdentityTable.Load(idPath));
            var names = parse.GetValue(candidates)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names is { Length: 0 }) throw new ArgumentException("--candidates names no model");
            var cards = names is null ? policy.Models : names.Select(policy.Card).ToArray();
            var decision = policy.Route(new RoutingRequest(parse.GetValue(prompt)!, Preference.FromCostWeight(parse.GetValue(costWeight)), cards));
            Print(decision, parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    internal static void Print(RoutingDecision decision, TextWriter o)
    {
        var ci = CultureInfo.InvariantCulture;
        o.WriteLine($"decision: {decision.Model}");
        var width = Math.Max(5, decision.Candidates.Max(c => c.Model.Length));
        o.WriteLine($"{"model".PadRight(width)}  {"probability",11}  {"exp. quality",12}  {"exp. $ per 1k prompts",21}  {"utility",8}");
        foreach (var c in decision.Ranked)
            o.WriteLine(string.Create(ci, $"{c.Model.PadRight(width)}  {c.Probability,11:F4}  {c.ExpectedQuality,12:F4}  {c.ExpectedCostUsd * 1000,21:F4}  {c.Utility,8:F4}"));
    }
}
