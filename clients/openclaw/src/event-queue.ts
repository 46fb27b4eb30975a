/**
 * A single-consumer async queue from the turn's pump to OpenClaw's reader. `close()` ends the iteration after
 * what was already queued; `abandon()` (the reader stopped listening) drops the rest and refuses more.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  push(...items: T[]): void {
    if (this.closed) return;
    for (const item of items) {
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        waiter({ value: item, done: false });
      } else this.items.push(item);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  abandon(): void {
    this.items.length = 0;
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.abandon();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
