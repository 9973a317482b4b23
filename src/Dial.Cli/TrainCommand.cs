using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dial.Data;
using Dial.Features;
using Dial.Learning;
using Dial.Learning.Identity;
using Dial.Learning.Policy;

namespace Dial.Cli;

/// <summary><c>dial train</c>: trains the Dial policy ensemble (the router <c>dial eval</c> measures) on a routing table's train split and saves it as one file.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Routing table to train on (.jsonl, .jsonl.gz or RouterBench .csv); only its train split is used", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the trained policy", Required = true };
        var feedback = new Option<string>("--feedback") { Description = "bandit (only the chosen model's outcome, as deployed) or full (every model's outcome)", DefaultValueFactory = _ => "bandit" };
        feedback.AcceptOnlyFromAmong("bandit", "full");
        var seed = new Option<int>("--seed") { Description = "Seeds every random choice; the same seed gives the same policy", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int?>("--epochs") { Description = $"Passes over the training prompts (default {PolicyOptions.For(Feedback.Bandit).Epochs}, {PolicyOptions.For(Feedback.Full).Epochs} with --feedback full)" };
        var identities = new Option<string?>("--identities") { Description = $"Identity table (JSON) to describe models by, instead of learned embeddings; the {IdentityCommand.ItemsFile} beside it (from 'dial identity fit') gives q̂ the identity model's own prediction to start from" };
        var models = new Option<string?>("--models") { Description = "Model cards file (default: NAME.models.json beside the table)" };
        var command = new Command("train", "Train the preference-conditioned routing policy") { data, output, feedback, seed, epochs, identities, models };
        command.SetAction(parse =>
        {
            var table = TableInput.Read(parse.GetValue(data)!, parse.GetValue(models), parse.InvocationConfiguration.Error);
            var train = table.Where(Split.Train);
            if (train.PromptCount == 0) throw new ArgumentException($"{table.Source}: no prompts in the train split");
            var kind = parse.GetValue(feedback) == "full" ? Feedback.Full : Feedback.Bandit;
            var options = PolicyOptions.For(kind);
            if (parse.GetValue(epochs) is { } e) options = options with { Epochs = e, WarmStartEpochs = Math.Min(options.WarmStartEpochs, e) };
            string? itemsPath = null;
            if (parse.GetValue(identities) is { } idPath)
            {
                options = options with { Identities = IdentityTable.Load(idPath) };
                var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(idPath))!, IdentityCommand.ItemsFile);
                // Without the item model the policy still routes on identities; it only loses the prior (docs/identity.md).
                if (File.Exists(beside)) (options, itemsPath) = (options with { Items = PromptItemModel.Load(beside) }, beside);
            }
            var trainer = new DialPolicyTrainer(kind, options);

            var clock = Stopwatch.StartNew();
            var encoder = HashedTfidfEncoder.Fit(train.Prompts.Select(p => p.Text));
            var context = new TrainingContext(train, encoder, RewardScaleCalibration.Calibrate(train), parse.GetValue(seed));
            var policy = trainer.TrainEnsemble(context);
            var seconds = clock.Elapsed.TotalSeconds;
            var path = parse.GetValue(output)!;
            PolicyFile.Save(policy, path);
            parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained {policy.Name} on {train.PromptCount} prompts x {train.ModelCount} models, {options.Epochs} epochs, {policy.Members.Count} policies, seed {context.Seed}, in {seconds:F1} s"));
            parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reward scale: one cost unit = ${context.Scale.CostUsd:G4} per call, one latency unit = {context.Scale.LatencyMs:G4} ms"));
            if (options.Identities is not null)
                parse.InvocationConfiguration.Output.WriteLine(itemsPath is null
                    ? $"models described by identities; no {IdentityCommand.ItemsFile} beside them, so q̂ learns from the identities alone"
                    : $"models described by identities; q̂ starts from the identity model in {itemsPath}");
            parse.InvocationConfiguration.Output.WriteLine($"saved to {path}");
            var check = MemberCheck.Run(policy, train);
            parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"at cost weight 0 on the training prompts: quality {check.Ensemble:F3}, members {string.Join(" / ", check.Members.Select(q => q.ToString("F3", CultureInfo.InvariantCulture)))}"));
            if (check.Diverged.Count > 0)
                parse.InvocationConfiguration.Error.WriteLine(
                    $"warning: member(s) {string.Join(", ", check.Diverged)} route more than {MemberCheck.Tolerance} below the best member at cost weight 0 on the training prompts; the ensemble may lose the best model's quality: train again with another --seed");
            return 0;
        });
        return command;
    }
}
