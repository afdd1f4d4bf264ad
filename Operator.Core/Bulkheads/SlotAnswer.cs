namespace Operator.Core.Bulkheads;

/// <summary>The provider slot: entered; or not, and then parked for a wake-up (false: no wake-up is wired).</summary>
internal sealed record SlotAnswer(bool Entered, bool Parked);
