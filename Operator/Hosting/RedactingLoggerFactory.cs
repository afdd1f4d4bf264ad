using Microsoft.Extensions.Logging;
using Operator.Core.Text;

namespace Operator.Hosting;

/// <summary>
/// The process's <see cref="ILoggerFactory"/>: every logger it makes hands its sinks an exception's safe text
/// (<see cref="ExceptionText.ForLog"/>: every frame, messages that may carry a secret withheld) instead of the
/// exception, whoever logs it (the operator, ASP.NET Core, a library). Only the exception argument is rewritten: a
/// message template's arguments are written as given, so code that puts an exception's message into one passes it
/// through <see cref="ExceptionText.SafeMessage"/> itself. Providers and filters are the inner factory's.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, ExceptionText.ForLog(exception), formatter);
    }
}
