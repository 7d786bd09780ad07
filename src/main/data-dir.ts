// Where the console keeps its store, certificate and console.json: a per-user folder, overridable.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Environment variable that overrides the console data dir (like `--data-dir`). */
export const dataDirEnvVar = 'SAFELAB_DATA_DIR';

/** The per-user default: XDG on Linux, %LOCALAPPDATA% on Windows, Application Support on macOS. */
export function defaultConsoleDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local');
    return path.win32.join(local, 'SafeLab');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'SafeLab');
  const xdg = env.XDG_DATA_HOME && path.posix.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.posix.join(home, '.local', 'share');
  return path.posix.join(xdg, 'safelab');
}

/** Reads `--data-dir DIR` or `--data-dir=DIR` from command-line arguments; null when absent. */
export function dataDirFromArgs(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--data-dir') {
      const next = args[i + 1];
      if (!next || next.startsWith('--')) throw new Error('--data-dir needs a folder');
      return next;
    }
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return null;
}

/** Resolves the data dir: `--data-dir`, then SAFELAB_DATA_DIR, then the per-user default. Absolute. */
export function resolveConsoleDataDir(args: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): string {
  const chosen = dataDirFromArgs(args) ?? (env[dataDirEnvVar] || null) ?? defaultConsoleDataDir(process.platform, env);
  return path.resolve(chosen);
}

/** Creates the data dir if needed, readable by its owner only (it holds the console's private key). */
export function ensureDataDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
