// <dataDir>/console.json: how the IT command line and tests find the running console and
// authenticate to it. Written (mode 0600) while the console runs, removed when it stops.

import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

export const consoleFileName = 'console.json';

export interface ConsoleFile {
  pid: number;
  apiUrl: string;
  token: string;
  agentPort: number;
  consoleFingerprint: string;
  startedAt: number;
}

export function consoleFilePath(dataDir: string): string {
  return path.join(dataDir, consoleFileName);
}

/** The file's content, or null when absent or unreadable. */
export function readConsoleFile(dataDir: string): ConsoleFile | null {
  try {
    const raw = JSON.parse(readFileSync(consoleFilePath(dataDir), 'utf8')) as Partial<ConsoleFile>;
    if (typeof raw.apiUrl !== 'string' || typeof raw.token !== 'string' || typeof raw.pid !== 'number') return null;
    return raw as ConsoleFile;
  } catch {
    return null;
  }
}

export function writeConsoleFile(dataDir: string, content: ConsoleFile): void {
  const file = consoleFilePath(dataDir);
  writeFileAtomic(file, JSON.stringify(content, null, 2) + '\n', 0o600);
}

/** Removes the file if it is still ours (a newer console may have replaced it). */
export function removeConsoleFile(dataDir: string, pid = process.pid): void {
  const current = readConsoleFile(dataDir);
  if (current && current.pid !== pid) return;
  rmSync(consoleFilePath(dataDir), { force: true });
}

/** True when a process with this id exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
