using Dial.Data;

namespace Dial.Learning;

/// <summary>
/// Everything a router may learn from. All routers compared in one evaluation get the same context, so they
/// see the same prompts, the same features and the same meaning of the preference dial.
/// </summary>
/// <param name="Train">The training table (never a test split).</param>
/// <param name="Encoder">Prompt features; fitted on <paramref name="Train"/> only.</param>
/// <param name="Scale">The reward scale calibrated on <paramref name="Train"/>; routers store it with themselves.</param>
/// <param name="Seed">Seeds every random choice, so training is deterministic.</param>
public sealed record TrainingContext(RoutingTable Train, IPromptEncoder Encoder, RewardScale Scale, int Seed = 1);
