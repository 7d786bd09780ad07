// Where the console keeps its data on each OS, and how --data-dir / SAFELAB_DATA_DIR override it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirFromArgs, defaultConsoleDataDir, resolveConsoleDataDir } from '../../../src/main/data-dir.js';

describe('console data dir', () => {
  it('follows each OS’s per-user convention', () => {
    expect(defaultConsoleDataDir('linux', {}, '/home/co')).toBe('/home/co/.local/share/safelab');
    expect(defaultConsoleDataDir('linux', { XDG_DATA_HOME: '/data/xdg' }, '/home/co')).toBe('/data/xdg/safelab');
    // A relative XDG_DATA_HOME is invalid per the spec and ignored.
    expect(defaultConsoleDataDir('linux', { XDG_DATA_HOME: 'rel' }, '/home/co')).toBe('/home/co/.local/share/safelab');
    expect(defaultConsoleDataDir('win32', { LOCALAPPDATA: 'C:\\Users\\co\\AppData\\Local' }, 'C:\\Users\\co')).toBe('C:\\Users\\co\\AppData\\Local\\SafeLab');
    expect(defaultConsoleDataDir('darwin', {}, '/Users/co')).toBe('/Users/co/Library/Application Support/SafeLab');
  });

  it('lets --data-dir win over SAFELAB_DATA_DIR, which wins over the default', () => {
    expect(resolveConsoleDataDir(['--data-dir', '/srv/a'], { SAFELAB_DATA_DIR: '/srv/b' })).toBe('/srv/a');
    expect(resolveConsoleDataDir(['--data-dir=/srv/c'], {})).toBe('/srv/c');
    expect(resolveConsoleDataDir([], { SAFELAB_DATA_DIR: '/srv/b' })).toBe('/srv/b');
    expect(resolveConsoleDataDir(['--data-dir', 'rel'], {})).toBe(path.resolve('rel'));
  });

  it('refuses --data-dir without a folder', () => {
    expect(() => dataDirFromArgs(['--data-dir'])).toThrow(/needs a folder/);
    expect(() => dataDirFromArgs(['--data-dir', '--no-demo'])).toThrow(/needs a folder/);
  });
});
