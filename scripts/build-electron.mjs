// Compiles the desktop shell (dist/main/electron) and the preload bridge (dist/preload/index.cjs) when Electron is installed.
//
// Usage: node scripts/build-electron.mjs [--root DIR] [--out-dir DIR] [--force]   (npm run build:electron)
// Without electron installed there is nothing to run the shell with, so it says so and exits 0
// (web mode still works); --force builds anyway against cached types (tests, packaging).
// Exit 1 on compile errors or when the preload would not load in Electron's sandbox.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronTsconfig, ensureElectronTypes, installedElectronTypes, rootFromArgs, runTsc } from './electron-types.mjs';

/** What a sandboxed preload may `require` (Electron's sandbox offers only these). */
export const sandboxModules = ['electron', 'events', 'timers', 'url'];

/** The modules a CommonJS file requires, in order. */
export function requiredModules(source) {
  return [...source.matchAll(/\brequire\(\s*(['"])([^'"]+)\1\s*\)/g)].map((match) => match[2]);
}

/**
 * Builds the shell into `outDir` (default <root>/dist). Returns { built, reason? }; throws on a
 * failed compile or a preload that needs modules the sandbox lacks.
 */
export function buildElectronShell({ root, outDir = path.join(root, 'dist'), force = false, log = console.log }) {
  if (!force && !installedElectronTypes(root)) {
    return { built: false, reason: 'electron is not installed; the desktop shell is not built (npm start runs web mode)' };
  }
  const types = ensureElectronTypes({ root, log });
  const status = runTsc(root, ['-p', electronTsconfig(root, types), '--noEmit', 'false', '--outDir', outDir]);
  if (status !== 0) throw new Error('the desktop shell does not compile (errors above)');
  const preload = path.join(outDir, 'preload', 'index.cjs');
  const unavailable = requiredModules(readFileSync(preload, 'utf8')).filter((name) => !sandboxModules.includes(name));
  if (unavailable.length > 0) {
    throw new Error(`${path.relative(root, preload)} requires ${unavailable.join(', ')}: a sandboxed preload can only require ${sandboxModules.join(', ')}`);
  }
  return { built: true, mainScript: path.join(outDir, 'main', 'electron', 'main.js'), preloadScript: preload };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const root = rootFromArgs(argv);
  const at = argv.indexOf('--out-dir');
  const outDir = at !== -1 && argv[at + 1] ? path.resolve(argv[at + 1]) : undefined;
  try {
    const result = buildElectronShell({ root, outDir, force: argv.includes('--force') });
    const shown = (file) => (path.relative(root, file).startsWith('..') ? file : path.relative(root, file));
    if (result.built) console.log(`build:electron: wrote ${shown(result.mainScript)} and ${shown(result.preloadScript)}`);
    else console.log(`build:electron: skipped: ${result.reason}`);
  } catch (error) {
    console.error(`build:electron: ${error.message}`);
    process.exit(1);
  }
}
