using Operator.CommandLine;

namespace Operator.Local;

/// <summary>
/// One local mode per kubeconfig: the file <c>&lt;kubeconfig&gt;.lock</c> is held open with an exclusive lock (an
/// advisory lock the kernel drops when the process ends, however it ends) for as long as local mode runs, so a second
/// local mode writing the same kubeconfig refuses to start instead of overwriting it and pointing kubectl at a port
/// that dies with it. Disposing removes the file while still holding it, then releases it.
/// </summary>
internal sealed class LocalInstanceLock : IDisposable
{
    private readonly FileStream _stream;

    private LocalInstanceLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock of <paramref name="kubeconfig"/>, or throws a one-line <see cref="StartupException"/>.</summary>
    public static LocalInstanceLock Acquire(string kubeconfig)
    {
        var path = kubeconfig + ".lock";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}\n"));
            stream.Flush();
            return new LocalInstanceLock(stream, path);
        }
        catch (IOException)
        {
            throw new StartupException($"another local mode is already running with {kubeconfig} (it holds {path}): "
                + "use that one, stop it with Ctrl-C in its terminal, or start this one with --kubeconfig-out OTHER-FILE");
        }
    }

    public void Dispose()
    {
        File.Delete(Path);
        _stream.Dispose();
    }
}
