// How the run command (start.ts, plain Node) finds the desktop shell: Electron's binary plus the
// built shell; the shell (main/electron/main.ts) finds its own files and icons the same way.
//
// Plain Node: it must not import 'electron' (from Node that package only names its binary, and
// it is an optional dependency that is often absent), so it asks `require` for it and copes. It
// lives outside main/electron because the console core's start command uses it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ElectronShell {
  /** Electron's executable (from the `electron` npm package). */
  electronBinary: string;
  /** The project folder: its package.json names the shell as `main`, and Electron is started on it. */
  appDir: string;
  /** The built shell entry point: dist/main/electron/main.js. */
  mainScript: string;
  /** The built preload bridge next to it: dist/preload/index.cjs. */
  preloadScript: string;
}

export type ShellLookup = { found: true; shell: ElectronShell } | { found: false; reason: 'electron-not-installed' | 'shell-not-built'; detail: string };

/** dist/ of this build, seen from dist/main/shell-launch.js (or src/ under vite-node). */
export function distDirFromHere(moduleUrl: string = import.meta.url): string {
  return path.resolve(path.dirname(fileURLToPath(moduleUrl)), '..');
}

/** The built shell's files under `distDir`. */
export function shellScripts(distDir: string): { mainScript: string; preloadScript: string } {
  return {
    mainScript: path.join(distDir, 'main', 'electron', 'main.js'),
    preloadScript: path.join(distDir, 'preload', 'index.cjs'),
  };
}

/** How far up from dist/ the shell looks for resources/icons (the project folder, or a build folder inside it). */
const iconSearchDepth = 4;

/** resources/icons of the project the build belongs to, or null when it is nowhere above `distDir`. */
export function findIconsDir(distDir: string): string | null {
  let dir = path.resolve(distDir);
  for (let level = 0; level < iconSearchDepth; level++) {
    const icons = path.join(dir, 'resources', 'icons');
    if (existsSync(path.join(icons, 'safelab.png'))) return icons;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** Electron's binary when the package and its downloaded binary are both present; else null. */
export function findElectronBinary(fromUrl: string = import.meta.url): string | null {
  try {
    // The package's index.js exports the binary path and throws when the download never happened.
    const binary: unknown = createRequire(fromUrl)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Whether start.ts can open the desktop shell, and what to run if so. */
export function findElectronShell(distDir: string = distDirFromHere(), fromUrl: string = import.meta.url): ShellLookup {
  const electronBinary = findElectronBinary(fromUrl);
  if (!electronBinary) return { found: false, reason: 'electron-not-installed', detail: 'npm package "electron" or its binary is missing' };
  const { mainScript, preloadScript } = shellScripts(distDir);
  for (const file of [mainScript, preloadScript]) {
    if (!existsSync(file)) return { found: false, reason: 'shell-not-built', detail: `${file} is missing (run npm run build:electron)` };
  }
  return { found: true, shell: { electronBinary, appDir: path.dirname(distDir), mainScript, preloadScript } };
}

/**
 * Arguments for spawning the shell: the project folder first (Electron reads its package.json,
 * whose `main` is the shell, and names the app after it), then the user's flags unchanged.
 */
export function shellSpawnArgs(shell: ElectronShell, userArgs: readonly string[]): string[] {
  return [shell.appDir, ...userArgs];
}
