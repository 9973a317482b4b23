namespace Dial.Learning.Online;

/// <summary>What every linear bandit shares.</summary>
/// <param name="Ridge">lambda of the ridge prior lambda I: how many observations' worth of belief that an unseen model scores 0 at cost 0.</param>
/// <param name="Window">Forgetting: when positive, each model's estimate holds only its last <paramref name="Window"/> observations, so a model whose outcomes change is re-learned within that many of its calls. 0 keeps everything (best when nothing drifts).</param>
/// <param name="Seed">Seeds the exploration draws.</param>
public sealed record BanditOptions(double Ridge = 1, int Window = 0, int Seed = 1)
{
    public void Validate()
    {
        if (!(Ridge > 0 && double.IsFinite(Ridge))) throw new ArgumentOutOfRangeException(nameof(Ridge), Ridge, "ridge must be a positive number");
        if (Window < 0) throw new ArgumentOutOfRangeException(nameof(Window), Window, "window must be 0 (no forgetting) or a positive number of observations");
    }
}
