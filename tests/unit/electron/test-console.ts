// A real console core for the shell's tests: temporary data folder, free ports, no demo lab, quiet log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startConsole, type ConsoleRuntime } from '../../../src/main/console.js';

export interface TestConsole {
  runtime: ConsoleRuntime;
  close(): Promise<void>;
}

export async function startTestConsole(): Promise<TestConsole> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'safelab-shell-'));
  const runtime = await startConsole({ dataDir, agentPort: 0, apiPort: 0, agentHost: '127.0.0.1', shell: 'electron', demo: false, log: () => {} });
  return {
    runtime,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
