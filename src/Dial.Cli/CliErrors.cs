using Dial.Data;

namespace Dial.Cli;

/// <summary>Turns the errors a user can cause (bad files, bad arguments) into one clear line and exit code 2, not a stack trace.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is DataFormatException or InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException)
        {
            Console.Error.WriteLine($"dial: {e.Message}");
            return 2;
        }
    }
}
