// The agent's version, read once from package.json (two folders up from src/agent or dist/agent).

import { readFileSync } from 'node:fs';

let cached: string | null = null;

export function agentVersion(): string {
  if (cached !== null) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version.slice(0, 64) : '0.0.0';
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
