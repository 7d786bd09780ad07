// The agent's state file is written in order, off the event loop, and a burst of saves collapses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAgentStateText } from '../../../src/agent/config.js';
import { StateWriter } from '../../../src/agent/state-writer.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('state writer', () => {
  it('writes one state at a time and collapses the saves made meanwhile into one write of the newest', async () => {
    const writes: string[] = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const writer = new StateWriter((text) => {
      writes.push(text);
      const gate = deferred();
      gates.push(gate);
      return gate.promise;
    });
    const settled: string[] = [];
    const a = writer.save('a').then(() => settled.push('a'));
    const b = writer.save('b').then(() => settled.push('b'));
    const c = writer.save('c').then(() => settled.push('c'));
    expect(writes).toEqual(['a']);
    gates[0]!.resolve();
    await a;
    // b and c waited behind a; only c (the newest) is written, and both resolve with it.
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a', 'c']);
    expect(settled).toEqual(['a']);
    gates[1]!.resolve();
    await Promise.all([b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
    await writer.flush();
  });

  it('rejects the saves of a failed write and goes on with the next one', async () => {
    let fail = true;
    const writer = new StateWriter(async () => {
      if (fail) throw new Error('disk full');
    });
    await expect(writer.save('x')).rejects.toThrow('disk full');
    fail = false;
    await expect(writer.save('y')).resolves.toBeUndefined();
  });

  it('puts the newest state on disk, durably replacing the file, by the time flush resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safelab-state-writer-'));
    try {
      const writer = new StateWriter((text) => writeAgentStateText(dir, text));
      for (let i = 0; i < 20; i++) void writer.save(`{"n":${i}}\n`);
      await writer.flush();
      expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe('{"n":19}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
