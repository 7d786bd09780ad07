// Teacher console end to end: the real console with its demo lab of 12 simulated PCs, driven
// through the web UI in a real Chromium — lesson, live thumbnails, live view, lock, results.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiInput, ApiMethod, ApiOutput, Machine } from '../../src/shared/api/contract.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const startScript = join(root, 'dist/main/start.js');
const rendererIndex = join(root, 'dist/renderer/index.html');

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Demo lab size started by the console. */
const demoMachineCount = 12;
/** Faster than the default so the test sees several frames quickly. */
const thumbnailIntervalMs = 1000;
/** Upper bound for anything the console must do "soon" (enrol 12 PCs, deliver frames). */
const soonMs = 40_000;
const lockMessage = 'Cả lớp nhìn lên bảng nhé';

interface ConsoleFile {
  apiUrl: string;
  token: string;
}

let dataDir = '';
let consoleProcess: ChildProcess | null = null;
let consoleOutput = '';
let consoleFile: ConsoleFile;
let browser: Browser | null = null;
let page: Page;
let demoLabId = '';
const screenshotDir = process.env['SAFELAB_E2E_SCREENSHOTS'] ?? mkdtempSync(join(tmpdir(), 'safelab-e2e-shots-'));
/** Thumbnail events the page received over its event socket, with arrival time. */
const thumbnailFramesAt: number[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- console output ---\n${consoleOutput.slice(-4000)}`);
}

async function api<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
  const response = await fetch(`${consoleFile.apiUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${consoleFile.token}` },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`${method}: ${response.status} ${JSON.stringify(body)}`);
  return body as ApiOutput<M>;
}

async function demoMachines(): Promise<Machine[]> {
  return api('machines.list', { labId: demoLabId });
}

const tiles = () => page.locator('[data-testid="machine-tile"]');

interface TileImage {
  present: boolean;
  /** FNV-1a of the decoded pixels; null while the image is still loading. */
  digest: string | null;
}

/**
 * What each tile shows, read in the page by drawing each image onto a canvas (the page's
 * content security policy rightly forbids fetching the blob URLs).
 */
async function tileImages(): Promise<Record<string, TileImage>> {
  return page.evaluate(`(() => {
    const out = {};
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    for (const tile of document.querySelectorAll('[data-testid="machine-tile"]')) {
      const img = tile.querySelector('img');
      let digest = null;
      if (img && img.complete && img.naturalWidth > 0) {
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        ctx.drawImage(img, 0, 0);
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let h = 0x811c9dc5;
        for (let i = 0; i < pixels.length; i += 4) h = Math.imul(h ^ pixels[i] ^ (pixels[i + 1] << 8) ^ (pixels[i + 2] << 16), 0x01000193) >>> 0;
        digest = canvas.width + 'x' + canvas.height + ':' + h.toString(16);
      }
      out[tile.getAttribute('data-machine-id')] = { present: !!img, digest };
    }
    return out;
  })()`);
}

async function activeElementLabel(): Promise<string | null> {
  return page.evaluate(`document.activeElement && document.activeElement.getAttribute('aria-label')`);
}

beforeAll(async () => {
  if (!existsSync(startScript) || !existsSync(rendererIndex)) {
    throw new Error(`build first (npm run build): need ${startScript} and ${rendererIndex}`);
  }
  dataDir = mkdtempSync(join(tmpdir(), 'safelab-e2e-console-'));
  mkdirSync(screenshotDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [startScript, '--web', '--data-dir', dataDir, '--api-port', '0', '--agent-port', '0', '--thumbnail-interval-ms', String(thumbnailIntervalMs)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  consoleProcess = child;
  child.stdout?.on('data', (chunk: Buffer) => (consoleOutput += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (consoleOutput += chunk.toString()));
  const file = join(dataDir, 'console.json');
  consoleFile = await waitFor('console.json', 30_000, () => {
    if (child.exitCode !== null) throw new Error(`console exited with ${child.exitCode}\n${consoleOutput}`);
    if (!existsSync(file)) return null;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as ConsoleFile;
      return parsed.apiUrl && parsed.token ? parsed : null;
    } catch {
      return null; // being written
    }
  });

  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string' && frame.payload.includes('"type":"thumbnail"')) thumbnailFramesAt.push(Date.now());
    });
  });
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  const child = consoleProcess;
  if (child && child.exitCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(8_000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`e2e screenshots: ${screenshotDir}\n`);
}, 30_000);

describe('teacher console in a browser', () => {
  it('opens from the printed link, hides the token and shows the 12 demo PCs online', async () => {
    await page.goto(`${consoleFile.apiUrl}/#token=${consoleFile.token}`);
    // The token must not stay in the address bar (screenshots, bookmarks, shoulder surfing).
    await waitFor('token removed from the address', 5_000, () => !page.url().includes('token='));

    const labs = await api('labs.list', {});
    const demo = await waitFor('the demo lab', soonMs, async () => (await api('labs.list', {})).find((l) => /demo/i.test(l.name)));
    demoLabId = demo.id;
    expect(labs.length).toBeGreaterThanOrEqual(1);

    // The UI opens the lab that has machines; pick it explicitly if another one was remembered.
    const picker = page.getByLabel('Phòng máy', { exact: true });
    await picker.waitFor({ timeout: soonMs });
    if ((await picker.inputValue()) !== demoLabId) await picker.selectOption(demoLabId);

    await waitFor('12 online tiles', soonMs, async () => (await page.locator('[data-testid="machine-tile"][data-online="true"]').count()) === demoMachineCount);
    expect(await tiles().count()).toBe(demoMachineCount);
    expect(await page.getByTestId('connection-status').innerText()).toContain('Đã kết nối');
  }, 90_000);

  it('selects tiles with the keyboard and with "select all"', async () => {
    const box = page.getByRole('checkbox', { name: 'Chọn PC-02', exact: true });
    await box.focus();
    await page.keyboard.press('Space');
    expect(await box.isChecked()).toBe(true);
    expect(await page.getByTestId('target-hint').innerText()).toContain('1/12');
    await page.keyboard.press('Enter');
    expect(await box.isChecked()).toBe(false);

    await page.getByRole('checkbox', { name: 'Chọn tất cả', exact: true }).check();
    expect(await page.locator('[data-testid="machine-tile"] input[type="checkbox"]:checked').count()).toBe(demoMachineCount);
    expect(await page.getByTestId('target-hint').innerText()).toContain('12/12');
  });

  it('starts a lesson and shows live thumbnails that keep changing', async () => {
    expect(await tiles().locator('img').count()).toBe(0); // no screens outside a lesson

    await page.getByRole('button', { name: 'Bắt đầu tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Tên lớp').fill('10A1');
    await dialog.getByRole('button', { name: 'Bắt đầu', exact: true }).click();
    await page.getByText('Đang trong tiết học: lớp 10A1').waitFor({ timeout: 10_000 });

    await waitFor('a thumbnail on every tile', soonMs, async () => {
      const images = Object.values(await tileImages());
      return images.length === demoMachineCount && images.every((i) => i.present);
    });
    const first = await tileImages();
    await page.getByText('Màn hình trực tiếp', { exact: false }).waitFor({ timeout: 10_000 });

    // Simulated screens change (clock, scrolling content): some image must differ later on.
    const changed = await waitFor('thumbnails to change', 20_000, async () => {
      const later = await tileImages();
      const ids = Object.keys(first).filter((id) => first[id]?.digest && later[id]?.digest && later[id]!.digest !== first[id]!.digest);
      return ids.length > 0 ? ids : null;
    });
    expect(changed.length).toBeGreaterThan(0);
  }, 90_000);

  it('shows one PC large and closes it with Esc, returning focus to the tile', async () => {
    const open = page.getByRole('button', { name: 'Xem lớn màn hình PC-01', exact: true });
    await open.focus();
    await page.keyboard.press('Enter');
    const live = page.getByRole('dialog', { name: 'Màn hình PC-01' });
    await live.waitFor({ timeout: 5_000 });
    const image = live.getByRole('img', { name: 'Màn hình của PC-01' });
    await image.waitFor({ timeout: 10_000 });
    expect((await image.boundingBox())?.width ?? 0).toBeGreaterThan(600);
    // The console sends the focused PC in a larger size than the grid's.
    await waitFor('a large frame of the focused PC', 10_000, async () => Number(await image.getAttribute('width')) > 320);

    // Tab stays inside the dialog.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(`!!document.activeElement.closest('[role="dialog"]')`)).toBe(true);

    await page.keyboard.press('Escape');
    await live.waitFor({ state: 'detached', timeout: 5_000 });
    expect(await activeElementLabel()).toBe('Xem lớn màn hình PC-01');
  }, 30_000);

  it('locks every PC with a message: every tile and every agent reports locked, and a summary says so', async () => {
    await page.getByRole('button', { name: 'Khoá màn hình', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Khoá màn hình (12 máy)' });
    await dialog.getByLabel('Lời nhắn hiện trên màn hình khoá').fill(lockMessage);
    await dialog.getByRole('button', { name: 'Khoá 12 máy', exact: true }).click();

    const summary = page.getByTestId('command-summary');
    await summary.waitFor({ timeout: 15_000 });
    expect(await summary.innerText()).toBe('Đã khoá 12/12 máy');
    await waitFor('12 locked tiles', 15_000, async () => (await page.locator('[data-testid="machine-tile"][data-locked="true"]').count()) === demoMachineCount);

    // What the agents reported back, straight from the console.
    const machines = await demoMachines();
    expect(machines).toHaveLength(demoMachineCount);
    for (const m of machines) {
      expect(m.state.locked, m.name).toBe(true);
      expect(m.state.lockMessage, m.name).toBe(lockMessage);
    }

    // Per-machine details list every PC.
    await page.getByText('Chi tiết từng máy').click();
    expect(await page.locator('.result-table tbody tr').count()).toBe(demoMachineCount);

    // Let the locked screens arrive as thumbnails before looking at the page.
    await sleep(2 * thumbnailIntervalMs);
    await page.screenshot({ path: join(screenshotDir, 'lab-locked-vi.png') });
  }, 60_000);

  it('unlocks, ends the lesson, and no screen is shown or sent afterwards', async () => {
    await page.getByRole('button', { name: 'Mở khoá', exact: true }).click();
    await waitFor('unlocked summary', 15_000, async () => (await page.getByTestId('command-summary').innerText()) === 'Đã mở khoá 12/12 máy');

    await page.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Kết thúc tiết học?' });
    await dialog.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    await page.getByText('Chưa có tiết học', { exact: true }).waitFor({ timeout: 10_000 });
    await waitFor('tiles without images', 10_000, async () => (await tiles().locator('img').count()) === 0);
    expect(await api('lessons.active', {})).toEqual([]);

    // Frames in flight may still land; after that the console must stop sending them.
    await sleep(2 * thumbnailIntervalMs);
    const framesBefore = thumbnailFramesAt.length;
    expect(framesBefore).toBeGreaterThan(0); // the counter really saw frames during the lesson
    for (let i = 0; i < 6; i++) {
      await sleep(thumbnailIntervalMs / 2);
      expect(await tiles().locator('img').count()).toBe(0);
    }
    expect(thumbnailFramesAt.length).toBe(framesBefore);

    await waitFor('agents out of the lesson', 15_000, async () => (await demoMachines()).every((m) => !m.state.lessonActive && !m.state.locked));
  }, 60_000);

  it('switches to English and keeps the choice after a reload', async () => {
    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await page.getByText('No lesson running', { exact: true }).waitFor({ timeout: 5_000 });
    await page.reload();
    await page.getByText('No lesson running', { exact: true }).waitFor({ timeout: 15_000 });
    // After the reload the token came from the session, not from the address.
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await waitFor('12 online tiles after reload', soonMs, async () => (await page.locator('[data-testid="machine-tile"][data-online="true"]').count()) === demoMachineCount);
    await page.screenshot({ path: join(screenshotDir, 'lab-idle-en.png') });
  }, 60_000);
});
