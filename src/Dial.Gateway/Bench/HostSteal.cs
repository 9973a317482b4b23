using System.Globalization;

namespace Dial.Gateway.Bench;

/// <summary>
/// The machine's CPU time over an interval and the part a hypervisor gave to other guests ("steal", Linux's
/// <c>/proc/stat</c>). On a shared virtual machine the gateway's tail latency follows the host's load more than any
/// change to the gateway: a p99 read without the steal beside it cannot be compared with another day's.
/// </summary>
public readonly record struct HostSteal(double StolenSeconds, double TotalSeconds)
{
    /// <summary>Linux reports /proc/stat in USER_HZ ticks, 100 per second on every architecture it exposes to user space.</summary>
    private const double TicksPerSecond = 100;

    public double Share => TotalSeconds > 0 ? StolenSeconds / TotalSeconds : 0;

    /// <summary>The counters now, summed over all CPUs; null where there is no /proc/stat.</summary>
    public static HostSteal? Read()
    {
        const string path = "/proc/stat";
        if (!File.Exists(path)) return null;
        using var reader = new StreamReader(path);
        return Parse(reader.ReadLine() ?? "", path);
    }

    /// <summary>
    /// Parses the first line of /proc/stat, <c>cpu  user nice system idle iowait irq softirq steal guest guest_nice</c>.
    /// Guest time is already counted in user and nice, so it is left out of the total.
    /// </summary>
    public static HostSteal Parse(string line, string source)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu")
            throw new FormatException($"{source}: expected 'cpu' and at least 8 counters on its first line, got '{line}'");
        var ticks = new long[8];
        for (var i = 0; i < ticks.Length; i++)
            if (!long.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i]))
                throw new FormatException($"{source}: counter {i + 1} of the 'cpu' line is not a count of ticks: '{fields[i + 1]}'");
        return new HostSteal(ticks[7] / TicksPerSecond, ticks.Sum() / TicksPerSecond);
    }

    public static HostSteal operator -(HostSteal end, HostSteal start) =>
        new(end.StolenSeconds - start.StolenSeconds, end.TotalSeconds - start.TotalSeconds);
}
