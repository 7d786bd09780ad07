// The teacher console in a real browser, as far as its security goes: Chromium run by another OS
// account ("nobody", uid 65534) changes a lab's web profile in the UI and the audit log names that
// account (the kernel's word, not the browser's); and the console's own private key, offered as a
// list file in the add form, is refused with a reason in both languages.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyFileName } from '../../src/main/certificate.js';
import { openStore } from '../../src/main/store/index.js';
import type { Lab } from '../../src/shared/api/contract.js';
import { removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../integration/helpers/console-process.js';
import { builtFile } from '../integration/helpers/paths.js';
import { stopAllChildren, stopChild } from '../integration/helpers/processes.js';
import { withTimeout } from '../integration/helpers/wait.js';
import { chromiumArgs, chromiumPath, waitFor } from './harness.js';

/** The account "nobody" on Debian: not the account running the console. */
const browserUid = 65534;
const canSwitchUid = process.platform === 'linux' && process.getuid?.() === 0;

let dir: string;
let browserHome: string | null = null;
let consoleDir: string;
let console_: ConsoleProcess;
let chromiumProcess: ChildProcess | null = null;
let browser: Browser | null = null;
let page: Page;
let lab: Lab;

/** Chromium as `uid`, driven over its DevTools socket (Playwright cannot launch as another user). */
async function launchChromiumAs(uid: number): Promise<Browser> {
  // Its own folder straight under /tmp: the test's folders are private to root.
  const home = mkdtempSync(path.join(tmpdir(), 'safelab-e2e-browser-'));
  browserHome = home;
  chownSync(home, uid, uid);
  const child = spawn(chromiumPath, [...chromiumArgs, '--remote-debugging-port=0', `--user-data-dir=${path.join(home, 'profile')}`, 'about:blank'], {
    uid,
    gid: uid,
    cwd: home,
    env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: Chromium's helper processes go with it at the end.
    detached: true,
  });
  chromiumProcess = child;
  let stderr = '';
  const endpoint = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-20_000);
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (found) resolve(found[1]!);
      });
      child.once('exit', (code) => reject(new Error(`chromium exited (${code}):\n${stderr}`)));
    }),
    30_000,
    'Chromium to open its DevTools socket',
  );
  return chromium.connectOverCDP(endpoint);
}

beforeAll(async () => {
  builtFile('main/start.js');
  dir = tempDataDir('e2e-security');
  consoleDir = path.join(dir, 'console');
  console_ = await startConsoleProcess({ dataDir: consoleDir });
  lab = (await console_.api.call('labs.list', {}))[0]!;
  if (!canSwitchUid) return;
  browser = await launchChromiumAs(browserUid);
  const context = browser.contexts()[0] ?? (await browser.newContext());
  page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${console_.file.apiUrl}/#token=${console_.file.token}`);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (chromiumProcess?.pid !== undefined) {
    const done = stopChild(chromiumProcess, 'SIGTERM', 5000);
    try {
      process.kill(-chromiumProcess.pid, 'SIGTERM'); // the group this test started
    } catch {
      // Already gone.
    }
    await done;
  }
  await stopAllChildren();
  removeDir(dir);
  // A helper process may still be finishing a write in the profile: retry for a moment.
  if (browserHome) rmSync(browserHome, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
}, 30_000);

describe.skipIf(!canSwitchUid)('the console in a browser run by another account', { timeout: 90_000 }, () => {
  it('refuses the console’s private key as a list file, saying why in English and Vietnamese', async () => {
    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await page.getByRole('button', { name: 'Web filtering', exact: true }).click();
    const form = page.getByTestId('add-list-source');
    await form.waitFor({ timeout: 15_000 });
    const keyFile = path.join(consoleDir, privateKeyFileName);
    await form.getByRole('radio', { name: /A list file on this PC/ }).check();
    await form.getByLabel('File under category', { exact: true }).fill('gambling');
    await form.getByLabel('Full path on the teacher PC', { exact: true }).fill(keyFile);
    await form.getByRole('button', { name: 'Add source', exact: true }).click();
    await waitFor('the console refusing its own key', 10_000, async () => (await form.getByRole('alert').innerText().catch(() => '')).includes('is inside the console’s data folder'));
    expect(await form.getByRole('alert').innerText()).toContain(`"${keyFile}" is inside the console’s data folder (keys, access token, database); it cannot be a list.`);

    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt', exact: true }).click();
    await form.getByRole('button', { name: 'Thêm nguồn', exact: true }).click();
    await waitFor('the refusal in Vietnamese', 10_000, async () => (await form.getByRole('alert').innerText().catch(() => '')).includes('nằm trong thư mục dữ liệu của bảng điều khiển'));
    expect((await console_.api.call('filtering.status', {})).sources.map((s) => s.source.id)).not.toContain('file-gambling');
  });

  it('records the baseline change made in the UI under the account running the browser', async () => {
    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await page.getByRole('button', { name: 'Back to the lab', exact: true }).click();
    await page.getByRole('button', { name: 'Change (IT staff)', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Web filtering of ${lab.name}` });
    await dialog.getByRole('radio', { name: /Upper secondary — THPT/ }).check();
    await dialog.getByRole('button', { name: 'Apply to the lab', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    await waitFor('the new baseline in the console', 10_000, async () => (await console_.api.call('filtering.status', { labId: lab.id })).labs.find((l) => l.labId === lab.id)?.baselineProfileId === 'preset-thpt');

    await browser?.close();
    browser = null;
    expect(await console_.stop()).toBe(0);
    const store = openStore(consoleDir);
    try {
      const changes = store.audit.recentAudit(50).filter((e) => e.action === 'lab.baselineProfileChanged');
      expect(changes.map((e) => [e.actor, (e.details as { to: string }).to])).toEqual([['teacher:nobody', 'preset-thpt']]);
    } finally {
      store.close();
    }
  });
});
