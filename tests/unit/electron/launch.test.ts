// How the run command finds the desktop shell: Electron's binary from the optional package, the built shell, the icons.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronShell, findIconsDir, shellSpawnArgs } from '../../../src/main/shell-launch.js';

const projectRoot = path.resolve(import.meta.dirname, '..', '..', '..');
let root: string;

/** A project folder; `electron` decides whether node_modules/electron exists and what it exports. */
function project(name: string, electron: 'absent' | 'binary' | 'binary-missing'): { dir: string; dist: string; from: string } {
  const dir = path.join(root, name);
  const dist = path.join(dir, 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{"name":"fixture","main":"dist/main/electron/main.js"}');
  if (electron !== 'absent') {
    // The electron npm package's index.js exports its binary's path (and throws without one).
    const pkg = path.join(dir, 'node_modules', 'electron');
    mkdirSync(pkg, { recursive: true });
    const binary = path.join(dir, 'electron-binary');
    if (electron === 'binary') writeFileSync(binary, '');
    writeFileSync(path.join(pkg, 'index.js'), `module.exports = ${JSON.stringify(binary)};`);
    writeFileSync(path.join(pkg, 'package.json'), '{"name":"electron","main":"index.js"}');
  }
  return { dir, dist, from: pathToFileURL(path.join(dist, 'main', 'start.js')).href };
}

function buildShell(dist: string): void {
  mkdirSync(path.join(dist, 'main', 'electron'), { recursive: true });
  mkdirSync(path.join(dist, 'preload'), { recursive: true });
  writeFileSync(path.join(dist, 'main', 'electron', 'main.js'), '');
  writeFileSync(path.join(dist, 'preload', 'index.cjs'), '');
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'safelab-launch-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('finding the desktop shell', () => {
  it('reports electron as not installed when the optional package is absent', () => {
    const { dist, from } = project('no-electron', 'absent');
    buildShell(dist);
    expect(findElectronShell(dist, from)).toMatchObject({ found: false, reason: 'electron-not-installed' });
  });

  it('reports electron as not installed when the package is there but its binary never downloaded', () => {
    const { dist, from } = project('no-binary', 'binary-missing');
    buildShell(dist);
    expect(findElectronShell(dist, from)).toMatchObject({ found: false, reason: 'electron-not-installed' });
  });

  it('reports the shell as not built when electron is installed but dist has no shell', () => {
    const { dist, from } = project('not-built', 'binary');
    expect(findElectronShell(dist, from)).toMatchObject({ found: false, reason: 'shell-not-built' });
  });

  it('finds binary, shell and preload, and starts Electron on the project folder with the user flags', () => {
    const { dir, dist, from } = project('ready', 'binary');
    buildShell(dist);
    const lookup = findElectronShell(dist, from);
    expect(lookup).toEqual({
      found: true,
      shell: {
        electronBinary: path.join(dir, 'electron-binary'),
        appDir: dir,
        mainScript: path.join(dist, 'main', 'electron', 'main.js'),
        preloadScript: path.join(dist, 'preload', 'index.cjs'),
      },
    });
    if (lookup.found) expect(shellSpawnArgs(lookup.shell, ['--no-demo'])).toEqual([dir, '--no-demo']);
  });
});

describe('finding the icons', () => {
  it('finds resources/icons above dist, also from a build folder nested deeper', () => {
    const icons = path.join(projectRoot, 'resources', 'icons');
    expect(findIconsDir(path.join(projectRoot, 'dist'))).toBe(icons);
    expect(findIconsDir(path.join(projectRoot, '.cache', 'shell-build-x'))).toBe(icons);
  });

  it('answers null where no icons exist', () => {
    expect(findIconsDir(path.join(root, 'ready', 'dist'))).toBeNull();
  });
});
