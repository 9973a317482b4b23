namespace Dial.Data;

public enum Split
{
    Train,
    Test,
}
