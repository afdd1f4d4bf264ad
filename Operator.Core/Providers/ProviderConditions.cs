namespace Operator.Core.Providers;

/// <summary>The condition and reasons of an AWSProvider, as documented in the README.</summary>
internal static class ProviderConditions
{
    public const string Ready = "Ready";
    public const string Authenticated = "Authenticated";
}
