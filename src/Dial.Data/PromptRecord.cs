namespace Dial.Data;

/// <summary>One row of a routing table, without its outcomes.</summary>
/// <param name="Line">Where the row came from (1-based line or CSV row), for error messages.</param>
public sealed record PromptRecord(string Id, string Task, Split Split, string Text, int Line);
