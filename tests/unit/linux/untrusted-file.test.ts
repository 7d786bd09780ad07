// Reading files other accounts control: whole when small enough, refused when too big, whether
// fstat tells the size (a regular file) or not (/proc files say 0 and are read in growing chunks).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readUntrustedFile } from '../../../src/agent/platform/linux/untrusted-file.js';

describe('reading an untrusted file', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a regular file of up to maxBytes whole, and refuses a bigger one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-untrusted-'));
    const file = join(dir, 'f');
    const content = Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 251));
    writeFileSync(file, content);
    expect((await readUntrustedFile(file, 20_000)).equals(content)).toBe(true);
    await expect(readUntrustedFile(file, 19_999)).rejects.toThrow(/is too big \(20000 bytes\)/);
    writeFileSync(join(dir, 'empty'), '');
    expect((await readUntrustedFile(join(dir, 'empty'), 0)).length).toBe(0);
  });

  it.runIf(process.platform === 'linux')('reads a /proc file (size 0) past the first chunk, and refuses one past maxBytes', async () => {
    // Node's smaps runs to hundreds of kilobytes: many times the first 8 KB buffer.
    const smaps = await readUntrustedFile('/proc/self/smaps', 16 * 1024 * 1024);
    expect(smaps.length).toBeGreaterThan(32 * 1024);
    expect(smaps.toString('latin1')).toMatch(/^[0-9a-f]+-[0-9a-f]+ /);
    expect(smaps.toString('latin1').endsWith('\n')).toBe(true);
    expect(smaps.toString('latin1')).not.toContain('\0');
    await expect(readUntrustedFile('/proc/self/smaps', 20_000)).rejects.toThrow(/is too big \(more than 20000 bytes\)/);
  });
});
