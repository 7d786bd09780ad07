// Writes the agent's state file in order, off the event loop, one write at a time: while one is
// on disk, later saves collapse into one next write of the newest state (a burst of commands
// costs two writes, not one each). Each save resolves once a write holding its state is durable.

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class StateWriter {
  private writing: Promise<void> | null = null;
  /** The newest state text not yet being written, and who waits for it. */
  private next: string | null = null;
  private waiters: Waiter[] = [];

  constructor(private readonly write: (text: string) => Promise<void>) {}

  /** Queues `text` (the whole state, serialised now) and resolves when it, or a newer one, is on disk. */
  save(text: string): Promise<void> {
    this.next = text;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.pump();
    return done;
  }

  /** Resolves when nothing is waiting to be written (at shutdown). Never rejects. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
  }

  private pump(): void {
    const text = this.next!;
    const waiters = this.waiters;
    this.next = null;
    this.waiters = [];
    this.writing = this.write(text).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
    void this.writing.then(() => {
      this.writing = null;
      if (this.next !== null) this.pump();
    });
  }
}
