using System.Runtime.InteropServices;

namespace Dial.Gateway.Storage;

/// <summary>
/// Linux's <c>SCHED_IDLE</c> class for background threads of the gateway. Such a thread runs on the CPU time request
/// threads leave; a request thread that wakes takes its CPU at once, and the scheduler places wake-ups on a CPU running
/// only idle-class work as on an idle one. Without it the request log's writer, whose SQLite commits sometimes run
/// 3–10 ms, held one of two cores while the socket threads woken for requests waited behind it (measured with
/// <c>perf sched timehist</c>: docs/gateway.md, "Session 8"). The class cannot be left again without privileges, so
/// only threads whose work may wait belong in it; a writer that falls behind is held back by its bounded queue.
/// </summary>
internal static partial class IdleScheduling
{
    private const int SchedIdle = 5;

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);

    /// <summary>Puts the calling thread in the idle class; false where there is none (not Linux) or the call failed.</summary>
    public static bool TryEnter()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var param = new SchedParam(); // the idle class has one static priority, 0
        return sched_setscheduler(0, SchedIdle, ref param) == 0; // pid 0: the calling thread, not the whole process
    }
}
