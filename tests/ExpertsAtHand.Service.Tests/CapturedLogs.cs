using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ExpertsAtHand.Service.Tests;

/// <summary>Every log entry a host writes, kept for a test to read (category, level, message).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public Logger<T> CreateLogger<T>() => new(new LoggerFactory([this]));

    public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, Entries);

    public void Dispose()
    {
    }

    private sealed class Capturing(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
