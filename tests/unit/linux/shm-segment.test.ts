// The file behind an MIT-SHM segment, created by root in a folder every account can write
// (/dev/shm): never an existing file, never through a link, private, and nameless once created.
import { closeSync, fstatSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSegmentFile } from '../../../src/agent/platform/linux/x-connection.js';

describe('shared-memory segment files', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a private file of the requested size that no name points to', () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-shm-'));
    const fd = createSegmentFile(4096, dir);
    try {
      const stat = fstatSync(fd);
      expect(stat.size).toBe(4096);
      expect(stat.mode & 0o777).toBe(0o600);
      expect(stat.nlink).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });

  it("never follows a student's symlink to another file, nor opens a file they put there", () => {
    dir = mkdtempSync(join(tmpdir(), 'safelab-shm-'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, 'guessed-link'));
    writeFileSync(join(dir, 'guessed-file'), 'forged pixels');
    expect(() => createSegmentFile(4096, dir, 'guessed-link')).toThrow(/EEXIST/);
    expect(() => createSegmentFile(4096, dir, 'guessed-file')).toThrow(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(dir, 'guessed-link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'guessed-file'), 'utf8')).toBe('forged pixels');
  });
});
