using Dial.Data;
using Dial.Features;
using Dial.Gateway.Configuration;

namespace Dial.Gateway.Routing;

/// <summary>
/// The routing table the gateway was configured with, and what is fitted on its train split: the prompt
/// encoder and the reward scale. Loaded once, on first use, and shared by router training and the replay upstream.
/// </summary>
public sealed class RoutingData
{
    public RoutingData(RoutingTable table)
    {
        Table = table;
        Train = table.Where(Split.Train);
        Encoder = HashedTfidfEncoder.Fit(Train.Prompts.Select(p => p.Text));
        Scale = RewardScaleCalibration.Calibrate(Train);
    }

    public RoutingTable Table { get; }

    public RoutingTable Train { get; }

    public HashedTfidfEncoder Encoder { get; }

    public RewardScale Scale { get; }

    public static RoutingData Load(GatewayOptions options) => new(RoutingTableReader.Read(options.Table ?? BundledTablePath()));

    /// <summary>data/routerbench.jsonl.gz, looked for above the working directory and above the program.</summary>
    public static string BundledTablePath()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data", "routerbench.jsonl.gz");
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException("no routing table configured (Dial:Table) and the bundled data/routerbench.jsonl.gz was not found above the working directory or the program");
    }
}
