// UT1 archives and folders on disk: real tarballs made by GNU tar (ustar, GNU long names, pax), read back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar, readTarball, TarError } from '../../../src/main/filtering/tar.js';
import { readUt1Folder, readUt1Tarball } from '../../../src/main/filtering/ut1.js';

let dir: string;

/** Writes a UT1-style tree under `root`. */
function writeUt1Tree(root: string): void {
  const files: Record<string, string> = {
    'gambling/domains': 'casino.example.com\nbet.example.vn\n1.2.3.4\n',
    'gambling/urls': 'www.poker.example.com/\nexample.org/page.html\n',
    'gambling/expressions': '(casino|poker)\n',
    'games/domains': 'games.example.com\n',
    'child/domains': 'kids.example.fr\n',
    'gambling/README': 'not a list file\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'safelab-ut1-'));
  writeUt1Tree(join(dir, 'blacklists'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tarball(args: string[]): Uint8Array {
  const out = join(dir, `archive-${Math.random().toString(36).slice(2)}.tar.gz`);
  execFileSync('tar', ['-czf', out, '-C', dir, ...args]);
  return readFileSync(out);
}

describe('tar reader', () => {
  it('reads a whole UT1 archive made by GNU tar, category by category', async () => {
    const categories = await readUt1Tarball(tarball(['blacklists']));
    expect(categories.map((c) => c.category)).toEqual(['child', 'gambling', 'games']);
    const gambling = categories.find((c) => c.category === 'gambling')!.parsed;
    expect(gambling.block).toEqual(['casino.example.com', 'bet.example.vn', 'poker.example.com']);
    expect(gambling.report).toMatchObject({ source: 'ut1/gambling', bad: 1, skipped: 2 });
  });

  it('reads only the categories asked for', async () => {
    const categories = await readUt1Tarball(tarball(['blacklists']), ['games']);
    expect(categories.map((c) => c.category)).toEqual(['games']);
  });

  it('follows GNU long names and pax paths past 100 characters', async () => {
    const deep = join(dir, 'deep', 'x'.repeat(60), 'y'.repeat(60), 'gambling');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'domains'), 'long.example.com\n');
    for (const format of ['gnu', 'pax']) {
      const out = join(dir, `long-${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', dir, 'deep']);
      const files = readTar(readFileSync(out), (path) => path.endsWith('/domains'));
      expect(files.map((f) => f.path)).toEqual([`deep/${'x'.repeat(60)}/${'y'.repeat(60)}/gambling/domains`]);
      const categories = await readUt1Tarball(gzipSync(readFileSync(out)));
      expect(categories[0]!.parsed.block).toEqual(['long.example.com']);
    }
  });

  it('refuses a truncated or corrupted archive instead of returning part of it', async () => {
    const whole = execFileSync('tar', ['-cf', '-', '-C', dir, 'blacklists']);
    expect(() => readTar(whole.subarray(0, 700))).toThrow(TarError);
    const corrupted = Buffer.from(whole);
    corrupted[100] = corrupted[100]! ^ 0xff; // inside the first header: checksum no longer matches
    expect(() => readTar(corrupted)).toThrow(/checksum/);
    await expect(readTarball(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), 1 << 20)).rejects.toThrow(TarError);
  });

  it('stops unpacking at the size limit (no gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 << 20));
    await expect(readTarball(bomb, 1 << 20)).rejects.toThrow(/more than/);
  });
});

describe('UT1 folder', () => {
  it('reads an unpacked UT1 folder', async () => {
    const categories = await readUt1Folder(join(dir, 'blacklists'));
    expect(categories.map((c) => [c.category, c.parsed.report.accepted])).toEqual([
      ['child', 1],
      ['gambling', 3],
      ['games', 1],
    ]);
  });
});
