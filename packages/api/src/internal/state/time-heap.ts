/**
 * A binary min-heap of timer times (numbers), shared by the timer queues: they keep the timers of
 * each time in a map and push each distinct time here once; a time whose timers were all deleted
 * stays until it reaches the top, where its owner drops it (lazy deletion).
 */
export class TimeHeap {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The smallest time, or undefined when empty. */
  peek(): number | undefined {
    return this.heap[0];
  }

  push(time: number): void {
    const heap = this.heap;
    let i = heap.push(time) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= time) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = time;
  }

  /** Removes and returns the smallest time; only on a heap that is not empty. */
  pop(): number {
    const heap = this.heap;
    const top = heap[0] as number;
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
        if ((heap[child] as number) >= last) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
