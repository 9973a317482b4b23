using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dial.Data;
using Dial.Learning.Identity;

namespace Dial.Cli;

/// <summary>
/// <c>dial onboard</c>: gives a new model an identity vector from a short quiz, against the prompt side saved by
/// <c>dial identity fit</c>, and adds it (and its card) to the stored identity table. Answers come from the
/// model's recorded outcomes on the table's train prompts.
/// </summary>
internal static class OnboardCommand
{
    public static Command Create()
    {
        var identity = new Option<string>("--identity") { Description = "Directory written by 'dial identity fit' (identities.json, items.bin, models.json)", Required = true };
        var data = new Option<string>("--data") { Description = "Routing table holding the new model's recorded outcomes", Required = true };
        var model = new Option<string>("--model") { Description = "The model to onboard (a model of --data)", Required = true };
        var card = new Option<string>("--card") { Description = "The model's card: a JSON object with name and prices", Required = true };
        var budget = new Option<int>("--budget") { Description = "Quiz size: how many train prompts the model answers", DefaultValueFactory = _ => 20 };
        var selector = new Option<string>("--selector") { Description = $"How quiz prompts are chosen: {string.Join(", ", QuizSelectors.All.Select(s => s.Name))}", DefaultValueFactory = _ => QuizSelectors.Default.Name };
        var seed = new Option<int>("--seed") { Description = "Seed of random choices", DefaultValueFactory = _ => 1 };
        var command = new Command("onboard", "Quiz a new model and store its identity vector") { identity, data, model, card, budget, selector, seed };
        command.SetAction(parse => Run(
            parse.GetValue(identity)!, parse.GetValue(data)!, parse.GetValue(model)!, parse.GetValue(card)!,
            parse.GetValue(budget), QuizSelectors.Parse(parse.GetValue(selector)!), parse.GetValue(seed), Console.Out));
        return command;
    }

    internal static int Run(string directory, string dataPath, string model, string cardPath, int budget, IQuizSelector selector, int seed, TextWriter o)
    {
        var card = ModelCardReader.ReadOne(cardPath);
        if (card.Name != model) throw new ArgumentException($"{cardPath}: the card is for '{card.Name}', but --model is '{model}'");
        var identitiesPath = Path.Combine(directory, IdentityCommand.IdentitiesFile);
        var itemsPath = Path.Combine(directory, IdentityCommand.ItemsFile);
        foreach (var required in new[] { identitiesPath, itemsPath })
            if (!File.Exists(required)) throw new FileNotFoundException($"{required} not found; run 'dial identity fit --out {directory}' first", required);
        var identities = IdentityTable.Load(identitiesPath);
        var items = PromptItemModel.Load(itemsPath);
        var table = RoutingTableReader.Read(dataPath);
        var oracle = new RecordedQuizOracle(table.Where(Split.Train), model);
        if (oracle.Questions.Count == 0) throw new ArgumentException($"{dataPath}: model '{model}' has no recorded train outcomes to quiz it on");

        var clock = Stopwatch.StartNew();
        var result = Onboarding.Run(items, oracle, budget, selector, seed);
        var seconds = clock.Elapsed.TotalSeconds;
        var replaced = identities.TryGet(model, out _);
        identities.Set(result.Identity);
        identities.Save(identitiesPath);
        var cardsPath = Path.Combine(directory, IdentityCommand.CardsFile);
        var cards = File.Exists(cardsPath) ? ModelCardReader.Read(cardsPath).Where(c => c.Name != model).ToList() : [];
        cards.Add(card);
        ModelCardReader.Write(cardsPath, cards);

        var ci = CultureInfo.InvariantCulture;
        var id = result.Identity;
        o.WriteLine(string.Create(ci, $"onboarded {model} from {result.Answers.Count} {selector.Name} quiz answers (mean score {result.Answers.Average(a => a.Score):F3}) in {seconds:F2} s"));
        o.WriteLine("identity mean  " + string.Join(" ", id.Mean.Select(x => x.ToString("F3", ci))));
        o.WriteLine("identity std   " + string.Join(" ", id.StdDev.Select(x => x.ToString("F3", ci))));
        o.WriteLine($"{(replaced ? "replaced" : "added")} in {identitiesPath} ({identities.All.Count} models); card saved to {cardsPath}");
        return 0;
    }
}
