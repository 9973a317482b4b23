using System.CommandLine;
using Dial.Cli;

var root = new RootCommand("Dial: route every LLM request to the model that best fits its quality, cost and latency trade-off.")
{
    DataCommand.Create(),
    TrainCommand.Create(),
    RouteCommand.Create(),
    EvalCommand.Create(),
    IdentityCommand.Create(),
    OnboardCommand.Create(),
    SimulateCommand.Create(),
    ServeCommand.Create(),
    BenchCommand.Create(),
    StudyCommand.Create(),
};
// Errors a user can cause are reported by CliErrors as one line; System.CommandLine's handler would print a stack trace.
return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
