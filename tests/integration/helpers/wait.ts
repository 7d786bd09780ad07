// Bounded waiting: on promises, on log lines of a child process, on conditions. Every wait has a
// deadline and says what it was waiting for when it gives up.
import type { Readable } from 'node:stream';

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls a cheap condition (a file appearing, a count reached) until true or the deadline. */
export async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Collects the lines of one or more streams and lets a test wait for a line matching a pattern. */
export class LineLog {
  readonly lines: string[] = [];
  private readonly waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();

  constructor(...streams: (Readable | null | undefined)[]) {
    for (const stream of streams) if (stream) this.follow(stream);
  }

  follow(stream: Readable): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) this.add(line);
    });
    stream.on('end', () => {
      if (rest) this.add(rest);
      rest = '';
    });
  }

  add(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.pattern.test(line)) {
        this.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }

  has(pattern: RegExp): boolean {
    return this.lines.some((line) => pattern.test(line));
  }

  /** Resolves with the first line matching `pattern` after `fromLine` (default: any line so far). */
  waitFor(pattern: RegExp, ms: number, fromLine = 0): Promise<string> {
    const seen = this.lines.slice(fromLine).find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    let entry!: { pattern: RegExp; resolve: (line: string) => void };
    const found = new Promise<string>((resolve) => {
      entry = { pattern, resolve };
      this.waiters.add(entry);
    });
    return withTimeout(found, ms, `a log line matching ${pattern}\n--- log so far ---\n${this.text().slice(-3000)}`).finally(() =>
      this.waiters.delete(entry),
    );
  }

  text(): string {
    return this.lines.join('\n');
  }
}
