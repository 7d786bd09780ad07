// Starting the console when something is in the way: a taken port, or a console already running
// on the same data folder. The teacher gets a message naming the problem, not a crash.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFileName, privateKeyFileName } from '../../../src/main/certificate.js';
import { startConsole } from '../../../src/main/console.js';
import { readConsoleFile } from '../../../src/main/console-file.js';
import { findElectronShell } from '../../../src/main/shell-launch.js';
import { bilingual } from '../../../src/shared/i18n/index.js';
import { removeDir, tempDataDir } from '../helpers/console-process.js';
import { builtFile, projectRoot } from '../helpers/paths.js';
import { exited, spawnTracked } from '../helpers/processes.js';
import { LineLog, withTimeout } from '../helpers/wait.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';

let dataDir: string;
let blocker: Server;
let blockedPort: number;

beforeAll(async () => {
  dataDir = tempDataDir('startup');
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  blockedPort = (blocker.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => blocker.close(resolve));
  removeDir(dataDir);
});

describe('console start-up', { timeout: 60_000 }, () => {
  it('names the taken agent port instead of crashing, and leaves nothing behind', async () => {
    const attempt = startConsole({ dataDir, agentHost: '127.0.0.1', agentPort: blockedPort, apiPort: 0, shell: 'web', log: () => undefined });
    await expect(attempt).rejects.toThrow(new RegExp(`Cổng ${blockedPort} đang bị một chương trình khác dùng[\\s\\S]*--agent-port`));
    expect(readConsoleFile(dataDir)).toBeNull();
  });

  it('names the taken API port too', async () => {
    const attempt = startConsole({ dataDir, agentHost: '127.0.0.1', agentPort: 0, apiPort: blockedPort, shell: 'web', log: () => undefined });
    await expect(attempt).rejects.toThrow(/Port \d+ is used by another program[\s\S]*--api-port/);
  });

  it('refuses a second console on the same data folder while the first runs', async () => {
    const first: TestConsole = await startTestConsole({ dataDir });
    try {
      // Same process here, so pretend the first console is another live process (our parent).
      const file = readConsoleFile(dataDir)!;
      const { writeConsoleFile } = await import('../../../src/main/console-file.js');
      writeConsoleFile(dataDir, { ...file, pid: process.ppid });
      await expect(startConsole({ dataDir, agentPort: 0, apiPort: 0, shell: 'web', log: () => undefined })).rejects.toThrow(/đã đang chạy[\s\S]*already running/);
      writeConsoleFile(dataDir, file);
    } finally {
      await first.close();
    }
    expect(readConsoleFile(dataDir)).toBeNull();
  });

  it('refuses to start when the private key of the certificate agents pinned is gone, instead of making a new one', async () => {
    const dir = tempDataDir('startup-key');
    try {
      const first = await startTestConsole({ dataDir: dir });
      const fingerprint = first.runtime.consoleFingerprint;
      await first.close();
      const certPem = readFileSync(path.join(dir, certificateFileName), 'utf8');
      const keyPem = readFileSync(path.join(dir, privateKeyFileName), 'utf8');
      rmSync(path.join(dir, privateKeyFileName));
      const attempt = startConsole({ dataDir: dir, agentPort: 0, apiPort: 0, shell: 'web', log: () => undefined });
      await expect(attempt).rejects.toThrow(/thiếu tệp console-key\.pem[\s\S]*would cut off every enrolled PC/);
      expect(readFileSync(path.join(dir, certificateFileName), 'utf8')).toBe(certPem);
      expect(readConsoleFile(dir)).toBeNull();
      // With the key restored from a backup the same certificate serves again.
      writeFileSync(path.join(dir, privateKeyFileName), keyPem, { mode: 0o600 });
      const again = await startTestConsole({ dataDir: dir });
      expect(again.runtime.consoleFingerprint).toBe(fingerprint);
      await again.close();
    } finally {
      removeDir(dir);
    }
  });

  // What `npm start` runs, without --web: on a PC without Electron it must say why it is not the
  // desktop window, print the address with its token, and serve the UI and API there.
  it.runIf(!electronShellHere().found)('explains web mode when Electron is absent, prints the address with its token and serves it', async () => {
    const dir = tempDataDir('start-no-electron');
    try {
      const child = spawnTracked(process.execPath, [builtFile('main/start.js'), '--no-demo', '--data-dir', dir, '--agent-port', '0', '--api-port', '0'], {
        env: { ...process.env, SAFELAB_DATA_DIR: '' },
      });
      const out = new LineLog(child.stdout);
      const err = new LineLog(child.stderr);
      const urlLine = await out.waitFor(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/, 20_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${out.text()}\n${err.text()}`);
      });
      const text = out.text();
      expect(text).toContain(bilingual('errors.electronMissing').vi);
      expect(text).toContain(bilingual('errors.electronMissing').en);
      expect(text.indexOf('Electron is not installed')).toBeLessThan(text.indexOf('#token='));
      const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(urlLine)![0]);
      const token = url.hash.slice('#token='.length);
      expect(token).toBe(readConsoleFile(dir)!.token);

      const page = await fetch(new URL('/', url));
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">/);
      const status = await fetch(new URL('/api/console.status', url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ shell: 'web', demo: false, dataDir: dir });

      child.kill('SIGINT');
      expect(await withTimeout(exited(child), 10_000, 'the console to stop on Ctrl-C')).toBe(0);
      expect(readConsoleFile(dir)).toBeNull();
    } finally {
      removeDir(dir);
    }
  });
});

function electronShellHere() {
  return findElectronShell(path.join(projectRoot, 'dist'), pathToFileURL(path.join(projectRoot, 'dist', 'main', 'start.js')).href);
}
