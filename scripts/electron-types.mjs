// Finds Electron's type definitions for the shell's type-check and build: the installed package, or a cached `npm pack` of it.
//
// Electron is an optional dependency whose binary comes from GitHub, so it is often absent;
// its npm package (with electron.d.ts) is still reachable from the registry. `npm pack` only
// downloads the tarball: it installs nothing and never touches node_modules.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where fetched types live, relative to the project root (gitignored). */
export const typesCacheDir = path.join('.cache', 'electron-types');

/** The generated tsconfig that points TypeScript at cached types. */
const generatedTsconfigName = 'tsconfig.json';

/** Longest wait for `npm pack`; the tarball is about 200 kB. */
const npmPackTimeoutMs = 120_000;

/** The electron version range the project asks for (package.json, optional dependency first). */
export function electronRange(root = projectRoot) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? pkg.dependencies?.electron ?? pkg.devDependencies?.electron;
  if (typeof range !== 'string' || range === '') throw new Error('package.json does not name an electron version');
  return range;
}

/** electron.d.ts of the installed package, or null when electron is not installed. */
export function installedElectronTypes(root = projectRoot) {
  const dts = path.join(root, 'node_modules', 'electron', 'electron.d.ts');
  return existsSync(dts) ? dts : null;
}

/** A folder name for a version range ("^39.0.0" → "39.0.0-caret"), so a changed range refetches. */
function rangeKey(range) {
  return range.replace(/\^/g, 'caret-').replace(/~/g, 'tilde-').replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Reads the regular files of a .tar (ustar, with pax and GNU long names) and returns those
 * `wanted` accepts, by path. Enough for npm tarballs; not a general tar implementation.
 */
export function readTar(tar, wanted) {
  const files = new Map();
  let offset = 0;
  let longName = null;
  const text = (start, length) => {
    const raw = tar.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
  };
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = text(offset + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = null;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
    } else if (type === 'x') {
      const match = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (match) longName = match[1];
    } else if ((type === '0' || type === '\0') && wanted(name)) {
      files.set(name, Buffer.from(body));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function npmCommand() {
  // Under `npm run`, npm names its own CLI: use it with this Node (no shell, works on Windows too).
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli) && existsSync(cli)) return { command: process.execPath, prefix: [cli], shell: false };
  return process.platform === 'win32' ? { command: 'npm.cmd', prefix: [], shell: true } : { command: 'npm', prefix: [], shell: false };
}

/** Downloads electron@range's tarball into `into` and returns its path. */
function npmPack(range, into) {
  const npm = npmCommand();
  // Through cmd.exe (Windows without npm_execpath) a bare ^ is an escape character: quote the spec.
  const spec = npm.shell ? `"electron@${range}"` : `electron@${range}`;
  const destination = npm.shell ? `"${into}"` : into;
  const result = spawnSync(npm.command, [...npm.prefix, 'pack', spec, '--json', '--ignore-scripts', '--pack-destination', destination], {
    encoding: 'utf8',
    timeout: npmPackTimeoutMs,
    shell: npm.shell,
    windowsHide: true,
  });
  if (result.status !== 0) {
    const reason = result.error?.message ?? (result.stderr || '').trim().split('\n').slice(-3).join(' ');
    throw new Error(`npm pack electron@${range} failed: ${reason}`);
  }
  const [packed] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
  if (!packed?.filename) throw new Error(`npm pack electron@${range} did not name a tarball`);
  return { tarball: path.join(into, packed.filename), version: packed.version };
}

/**
 * Electron's type definitions: the installed package's when present, else a cached copy
 * fetched once with `npm pack`. Returns the electron.d.ts path and where it came from.
 */
export function ensureElectronTypes({ root = projectRoot, log = () => {} } = {}) {
  const installed = installedElectronTypes(root);
  if (installed) return { source: 'installed', dts: installed };
  const range = electronRange(root);
  const cacheRoot = path.join(root, typesCacheDir);
  const target = path.join(cacheRoot, rangeKey(range));
  const dts = path.join(target, 'electron.d.ts');
  if (existsSync(dts)) return { source: 'cache', dts };

  log(`electron is not installed; fetching its type definitions (electron@${range}) into ${path.relative(root, target)}`);
  mkdirSync(cacheRoot, { recursive: true });
  // Work in a private folder and rename at the end, so a concurrent run never sees half a cache.
  const work = mkdtempSync(path.join(cacheRoot, '.fetch-'));
  try {
    const { tarball, version } = npmPack(range, work);
    const files = readTar(gunzipSync(readFileSync(tarball)), (name) => name === 'package/electron.d.ts' || name === 'package/package.json');
    const types = files.get('package/electron.d.ts');
    if (!types) throw new Error(`electron@${version} has no electron.d.ts`);
    const staged = path.join(work, 'types');
    mkdirSync(staged);
    writeFileSync(path.join(staged, 'electron.d.ts'), types);
    writeFileSync(path.join(staged, 'package.json'), files.get('package/package.json') ?? '{}');
    try {
      renameSync(staged, target);
    } catch (error) {
      if (!existsSync(dts)) throw error; // another run finished first: use its copy
    }
    log(`cached electron@${version} types`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { source: 'cache', dts };
}

/**
 * The tsconfig to compile the shell with: tsconfig.electron.json itself when electron is
 * installed, else a generated one in the cache that extends it and adds the cached types.
 */
export function electronTsconfig(root, types) {
  const base = path.join(root, 'tsconfig.electron.json');
  if (types.source === 'installed') return base;
  const dir = path.join(root, typesCacheDir);
  const file = path.join(dir, generatedTsconfigName);
  const config = {
    extends: path.relative(dir, base).split(path.sep).join('/'),
    // `files` adds the ambient `declare module 'electron'`; `include` is still inherited.
    files: [path.relative(dir, types.dts).split(path.sep).join('/')],
  };
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  return file;
}

/** Runs the project's TypeScript compiler; returns its exit status (0 = no errors). */
export function runTsc(root, args) {
  const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit', windowsHide: true });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** `--root DIR` from argv, else the project this script belongs to. */
export function rootFromArgs(argv) {
  const at = argv.indexOf('--root');
  return at !== -1 && argv[at + 1] ? path.resolve(argv[at + 1]) : projectRoot;
}
