namespace Operator.Core.Queue;

/// <summary>
/// Min-heap of items waiting for a ready time (client-go's <c>waitForPriorityQueue</c> plus its "known entries"
/// map). Each item appears at most once; <see cref="Upsert"/> of a waiting item keeps the earlier ready time. Items
/// with the same ready time come out in insertion order. Not thread-safe: the owning queue's lock guards it.
/// </summary>
internal sealed class DelayHeap<T>
    where T : notnull
{
    private struct Node
    {
        public T Item;
        public long ReadyAt;
        public long Sequence;
        public int Priority;
    }

    private readonly Dictionary<T, int> _positions;
    private Node[] _nodes = new Node[16];
    private int _count;
    private long _sequence;

    public DelayHeap(IEqualityComparer<T>? comparer) => _positions = new Dictionary<T, int>(comparer);

    public int Count => _count;

    public bool Contains(T item) => _positions.ContainsKey(item);

    /// <summary>
    /// Adds the item, or moves it earlier if it is already waiting with a later ready time; a waiting item keeps the
    /// higher of its two priorities.
    /// </summary>
    public void Upsert(T item, long readyAt, int priority = 0)
    {
        if (_positions.TryGetValue(item, out int position))
        {
            _nodes[position].Priority = Math.Max(_nodes[position].Priority, priority);
            if (readyAt < _nodes[position].ReadyAt)
            {
                _nodes[position].ReadyAt = readyAt;
                SiftUp(position);
            }

            return;
        }

        if (_count == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }

        _nodes[_count] = new Node { Item = item, ReadyAt = readyAt, Sequence = _sequence++, Priority = priority };
        _positions[item] = _count;
        _count++;
        SiftUp(_count - 1);
    }

    public bool TryPeek(out T item, out long readyAt)
    {
        if (_count == 0)
        {
            item = default!;
            readyAt = 0;
            return false;
        }

        item = _nodes[0].Item;
        readyAt = _nodes[0].ReadyAt;
        return true;
    }

    public T Pop() => Pop(out _);

    /// <summary>Removes the earliest item; <paramref name="priority"/> is the priority it waited with.</summary>
    public T Pop(out int priority)
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("The heap is empty.");
        }

        T item = _nodes[0].Item;
        priority = _nodes[0].Priority;
        _positions.Remove(item);
        _count--;
        if (_count > 0)
        {
            _nodes[0] = _nodes[_count];
            _positions[_nodes[0].Item] = 0;
            _nodes[_count] = default;
            SiftDown(0);
        }
        else
        {
            _nodes[0] = default;
        }

        return item;
    }

    public void Clear()
    {
        Array.Clear(_nodes, 0, _count);
        _count = 0;
        _positions.Clear();
    }

    private bool Less(int a, int b) =>
        _nodes[a].ReadyAt < _nodes[b].ReadyAt
        || (_nodes[a].ReadyAt == _nodes[b].ReadyAt && _nodes[a].Sequence < _nodes[b].Sequence);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(i, parent))
            {
                return;
            }

            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = (2 * i) + 1;
            if (left >= _count)
            {
                return;
            }

            int smallest = left + 1 < _count && Less(left + 1, left) ? left + 1 : left;
            if (!Less(smallest, i))
            {
                return;
            }

            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_nodes[a], _nodes[b]) = (_nodes[b], _nodes[a]);
        _positions[_nodes[a].Item] = a;
        _positions[_nodes[b].Item] = b;
    }
}
