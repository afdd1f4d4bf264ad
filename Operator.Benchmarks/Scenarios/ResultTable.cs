namespace Operator.Benchmarks.Scenarios;

/// <summary>The figures of a run, in the order measured, printed as one compact table at the end.</summary>
internal sealed class ResultTable
{
    private readonly List<(string Scenario, string Figure, string Value, string Target)> _rows = [];

    public void Add(string scenario, string figure, string value, string target = "")
    {
        _rows.Add((scenario, figure, value, target));
        Console.WriteLine($"  [{scenario}] {figure}: {value}{(target.Length > 0 ? $"  (target {target})" : "")}");
    }

    public void Print(TextWriter writer)
    {
        var w0 = Math.Max(8, _rows.Max(r => r.Scenario.Length));
        var w1 = Math.Max(6, _rows.Max(r => r.Figure.Length));
        var w2 = Math.Max(5, _rows.Max(r => r.Value.Length));
        writer.WriteLine($"| {"Scenario".PadRight(w0)} | {"Figure".PadRight(w1)} | {"Value".PadRight(w2)} | Target |");
        writer.WriteLine($"|{new string('-', w0 + 2)}|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|--------|");
        foreach (var (s, f, v, t) in _rows)
        {
            writer.WriteLine($"| {s.PadRight(w0)} | {f.PadRight(w1)} | {v.PadRight(w2)} | {t} |");
        }
    }
}
