namespace Dial.Learning.Online;

/// <summary>
/// Where a gateway keeps learner snapshots between restarts. Learners only produce and read bytes; the store
/// decides where they live (the SQLite store is in Dial.Storage, so this project carries no storage code or
/// native library).
/// </summary>
public interface ILearnerStateStore
{
    /// <summary>Stores <paramref name="state"/> under <paramref name="key"/>, replacing any earlier snapshot.</summary>
    void Save(string key, byte[] state);

    /// <summary>The latest snapshot saved under <paramref name="key"/>, or null if there is none.</summary>
    byte[]? Load(string key);
}
