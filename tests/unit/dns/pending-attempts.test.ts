// Blocked attempts the console has not received survive a graceful agent restart: saved on stop,
// read back (and removed) on start, bounded, and a damaged file costs only what was in it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { maxQueuedBlockedAttempts } from '../../../src/agent/dns/filter.js';
import { maxPendingAttemptsFileBytes, pendingAttemptsPath, savePendingAttempts, takePendingAttempts } from '../../../src/agent/dns/pending-attempts.js';

let root: string;
let file: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'safelab-pending-'));
  file = pendingAttemptsPath(path.join(root, 'filter'));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('unsent blocked attempts across a restart', () => {
  it('saves them with their times, reads them back once, and removes the file', async () => {
    const attempts = [
      { time: 1_790_000_000_000, name: 'casino.test', category: 'gambling' },
      { time: 1_790_000_001_000, name: 'porn.test', category: 'adult' },
    ];
    await savePendingAttempts(file, attempts);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await takePendingAttempts(file)).toEqual({ attempts, problem: null });
    await expect(fs.access(file)).rejects.toThrow();
    expect(await takePendingAttempts(file)).toEqual({ attempts: [], problem: null });
  });

  it('keeps only the newest queue-full of attempts, and removes the file when there is nothing to save', async () => {
    const many = Array.from({ length: maxQueuedBlockedAttempts + 5 }, (_, i) => ({ time: i, name: `p${i}.test`, category: 'adult' }));
    await savePendingAttempts(file, many);
    const back = await takePendingAttempts(file);
    expect(back.attempts).toHaveLength(maxQueuedBlockedAttempts);
    expect(back.attempts[0]!.name).toBe('p5.test');
    await savePendingAttempts(file, many.slice(0, 1));
    await savePendingAttempts(file, []);
    await expect(fs.access(file)).rejects.toThrow();
  });

  it('drops a damaged, foreign or oversized file with a reason, and unreadable entries one by one', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"version":1,"attempts":[');
    expect(await takePendingAttempts(file)).toEqual({ attempts: [], problem: 'not JSON' });
    await expect(fs.access(file)).rejects.toThrow();

    await fs.writeFile(file, JSON.stringify({ version: 7, attempts: [] }));
    expect((await takePendingAttempts(file)).problem).toBe('not a saved attempt queue');

    const good = { time: 5, name: 'ok.test', category: 'adult' };
    await fs.writeFile(file, JSON.stringify({ version: 1, attempts: [good, { time: 'x', name: 'a' }, { time: 6, name: '', category: 'adult' }, { time: 7, name: 'n'.repeat(300), category: 'adult' }] }));
    expect(await takePendingAttempts(file)).toEqual({ attempts: [good], problem: '3 unreadable entries dropped' });

    await fs.writeFile(file, Buffer.alloc(maxPendingAttemptsFileBytes + 1, 0x20));
    expect((await takePendingAttempts(file)).problem).toMatch(/larger than/);
    await expect(fs.access(file)).rejects.toThrow();
  });
});
