// Adding, using and removing computers end to end: the real console (no demo lab) in a real
// Chromium, and real agent processes enrolled with what the UI gives IT staff — the empty lab,
// the Add computers dialog (code, countdown, expiry, file, revoke), a message reaching the PC,
// its inventory, a two-monitor PC watched large, removing a PC, and the connection errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentFileSchema, type Enrolment } from '../../src/shared/api/contract.js';
import { AgentUnderTest, assertBuilt, ConsoleUnderTest, launchChromium, screenshotDir, sleep, stopAllAgents, waitFor } from './harness.js';

const defaultLab = 'Phòng máy 1';
const message = 'Các em lưu bài trước khi hết giờ nhé';
/** Upper bound for what the console and agents must do "soon" on a busy two-core machine. */
const soonMs = 30_000;

let console_: ConsoleUnderTest;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const agentDirs: string[] = [];
let downloadedFile = '';
let pc: AgentUnderTest | null = null;
let machineId = '';

function agentDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `safelab-e2e-${name}-`));
  agentDirs.push(dir);
  return dir;
}

async function machineNamed(name: string) {
  return (await console_.api('machines.list', {})).find((m) => m.name === name);
}

const dialog = (name: string) => page.getByRole('dialog', { name });
const tile = (name: string) => page.locator('[data-testid="machine-tile"]').filter({ has: page.locator('.tile-name', { hasText: new RegExp(`^${name}$`) }) });

beforeAll(async () => {
  assertBuilt();
  console_ = await ConsoleUnderTest.start(['--no-demo', '--api-port', '0', '--agent-port', '0', '--thumbnail-interval-ms', '500']);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => process.stdout.write(`page error: ${e.message}\n`));
}, 60_000);

afterAll(async () => {
  await stopAllAgents();
  await browser?.close().catch(() => undefined);
  await console_?.dispose();
  for (const dir of agentDirs) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`e2e screenshots: ${screenshotDir}\n`);
}, 30_000);

describe('computers in the browser', () => {
  it('shows an empty lab with the steps to add computers', async () => {
    await page.goto(console_.link);
    const empty = page.getByTestId('empty-lab');
    await empty.waitFor({ timeout: soonMs });
    expect(await page.getByLabel('Phòng máy', { exact: true }).locator('option:checked').innerText()).toMatch(new RegExp(`^${defaultLab}\\b`));
    expect(await empty.getByRole('heading').innerText()).toBe('Phòng này chưa có máy nào');
    expect(await empty.locator('li').count()).toBe(3);
    expect(await page.locator('[data-testid="machine-tile"]').count()).toBe(0);
  }, 60_000);

  it('gives a fresh code with a countdown, the enrolment file and the agent commands, and revokes the code', async () => {
    await page.getByTestId('empty-lab').getByRole('button', { name: 'Thêm máy tính', exact: true }).click();
    const add = dialog('Thêm máy tính vào phòng');
    await add.waitFor({ timeout: 5_000 });
    const code = await add.getByTestId('enrolment-code').innerText();
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await add.innerText()).toContain(`Các máy đăng ký bằng mã này sẽ được xếp vào: ${defaultLab}.`);

    // The countdown runs: "Hết hạn sau 30:00", then 29:59, 29:58…
    const timer = add.getByRole('timer');
    expect(await timer.innerText()).toMatch(/^Hết hạn sau (29|30):\d\d$/);
    const seconds = async () => {
      const [, mm, ss] = /(\d\d):(\d\d)$/.exec(await timer.innerText())!;
      return Number(mm) * 60 + Number(ss);
    };
    const first = await seconds();
    const later = await waitFor('the countdown to move on', 5_000, async () => {
      const now = await seconds();
      return now < first ? now : null;
    });
    expect(first - later).toBeLessThanOrEqual(5);

    await page.screenshot({ path: join(screenshotDir, 'add-computers-vi.png') });
    const active = (await console_.api('enrolment.active', {})).find((e) => e.code === code) as Enrolment;
    expect(active).toBeTruthy();
    const commands = await add.locator('.command-line code').allInnerTexts();
    expect(commands).toEqual([
      'node dist/agent/cli.js enrol --enrolment-file safelab-enrolment.json',
      `node dist/agent/cli.js enrol --console ${console_.agentUrl} --code ${code}`,
      'node dist/agent/cli.js run',
    ]);

    // The file the browser downloads is exactly what the agent reads.
    const [download] = await Promise.all([page.waitForEvent('download'), add.getByRole('button', { name: 'Tải tệp đăng ký', exact: true }).click()]);
    expect(download.suggestedFilename()).toBe('safelab-enrolment.json');
    const saved = join(agentDir('download'), 'safelab-enrolment.json');
    await download.saveAs(saved);
    const file = enrolmentFileSchema.parse(JSON.parse(readFileSync(saved, 'utf8')));
    expect(file).toEqual(active.file);
    expect(file).toMatchObject({ code, consoleUrl: console_.agentUrl, consoleFingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) });

    // Revoked: the dialog closes, the code is no longer offered, and a PC trying it is refused.
    await add.getByRole('button', { name: 'Thu hồi mã', exact: true }).click();
    await add.waitFor({ state: 'detached', timeout: 5_000 });
    expect((await console_.api('enrolment.active', {})).map((e) => e.code)).not.toContain(code);
    const refused = new AgentUnderTest(['enrol', '--enrolment-file', saved, '--data-dir', agentDir('revoked'), '--hostname', 'PC-REVOKED']);
    expect(await refused.exitCode(soonMs)).toBe(5);
    expect(refused.output).toMatch(/từ chối mã ghi danh/);
  }, 60_000);

  it('shows when a code has expired and makes a new one', async () => {
    // A page of its own whose clock can be moved on half an hour.
    const clocked = await context.newPage();
    try {
      await clocked.clock.install();
      await clocked.goto(console_.link);
      await clocked.getByTestId('empty-lab').waitFor({ timeout: soonMs });
      await clocked.getByTestId('empty-lab').getByRole('button', { name: 'Thêm máy tính', exact: true }).click();
      const add = clocked.getByRole('dialog', { name: 'Thêm máy tính vào phòng' });
      const first = await add.getByTestId('enrolment-code').innerText();
      await clocked.clock.fastForward('30:01');
      await add.getByText('Mã đã hết hạn. Hãy tạo mã mới.').waitFor({ timeout: 5_000 });
      // Back to the console's present, so the new code is not born expired on this page.
      await clocked.clock.setSystemTime(Date.now());
      // An expired code offers neither its file nor a revoke; a new code is one click away.
      expect(await add.getByRole('button', { name: 'Tải tệp đăng ký' }).count(), 'download').toBe(0);
      expect(await add.getByRole('button', { name: 'Thu hồi mã' }).count(), 'revoke').toBe(0);
      await add.getByRole('button', { name: 'Tạo mã mới', exact: true }).click();
      await waitFor('a new code', 5_000, async () => (await add.getByTestId('enrolment-code').innerText()) !== first);
      await add.getByRole('timer').getByText(/^Hết hạn sau (29|30):\d\d$/).waitFor({ timeout: 5_000 });
      await add.getByRole('button', { name: 'Xong', exact: true }).click();
    } finally {
      await clocked.close();
    }
  }, 60_000);

  it('adds a PC enrolled with the downloaded enrolment file: it appears in the lab, online', async () => {
    await page.getByRole('button', { name: 'Thêm máy tính', exact: true }).first().click();
    const add = dialog('Thêm máy tính vào phòng');
    await add.getByTestId('enrolment-code').waitFor({ timeout: 5_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), add.getByRole('button', { name: 'Tải tệp đăng ký', exact: true }).click()]);
    downloadedFile = join(agentDir('file'), 'safelab-enrolment.json');
    await download.saveAs(downloadedFile);
    await add.getByRole('button', { name: 'Xong', exact: true }).click();

    const dir = agentDir('pc-e2e');
    const enrol = new AgentUnderTest(['enrol', '--enrolment-file', downloadedFile, '--data-dir', dir, '--hostname', 'PC-E2E']);
    expect(await enrol.exitCode(soonMs), enrol.output).toBe(0);
    pc = new AgentUnderTest(['run', '--platform', 'simulated', '--data-dir', dir, '--hostname', 'PC-E2E']);
    await waitFor('the PC online in the lab', soonMs, async () => (await tile('PC-E2E').getAttribute('data-online')) === 'true', () => pc!.output + console_.tail());
    machineId = (await machineNamed('PC-E2E'))!.id;
    expect(await page.getByTestId('empty-lab').count()).toBe(0);
  }, 60_000);

  it('sends a message that the PC shows, and says it reached 1 of 1 PCs', async () => {
    await page.getByRole('button', { name: 'Gửi tin nhắn', exact: true }).click();
    const send = dialog('Gửi tin nhắn (1 máy)');
    await send.getByLabel('Nội dung tin nhắn').fill(message);
    await send.getByRole('button', { name: 'Gửi tới 1 máy', exact: true }).click();
    const summary = page.getByTestId('command-summary');
    await waitFor('the summary', 15_000, async () => (await summary.count()) > 0 && (await summary.innerText()) === 'Đã gửi tin nhắn tới 1/1 máy');
    // The agent itself put it on the screen.
    await waitFor('the PC to show the message', 10_000, () => pc!.output.includes(`message-shown chars=${message.length}`) && pc!.output.includes(message), () => pc!.output);
  }, 30_000);

  it('shows the PC’s inventory in its details: CPU, memory and network adapters with MAC addresses', async () => {
    // The PC gathers its inventory once it starts, in the background (seconds on a busy machine).
    const fromConsole = await waitFor('the PC’s inventory at the console', 60_000, () => console_.api('machines.inventory', { machineId }));
    await page.getByRole('button', { name: 'Thông tin máy PC-E2E', exact: true }).click();
    const details = dialog('Thông tin máy PC-E2E');
    const inventory = details.getByTestId('inventory');
    await inventory.waitFor({ timeout: soonMs });
    const text = await inventory.innerText();
    expect(text).toContain(fromConsole!.cpu.model);
    const macs = await inventory.locator('td code').allInnerTexts();
    expect(macs.length).toBe(fromConsole!.networkAdapters.length);
    expect(macs).toEqual(fromConsole!.networkAdapters.map((a) => a.mac));
    for (const mac of macs) expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i);
    expect(await details.innerText()).toContain('1366×768');

    // Asking again gathers it afresh on the PC.
    const before = fromConsole!.gatheredAt;
    await details.getByRole('button', { name: 'Cập nhật', exact: true }).click();
    await waitFor('a fresh inventory', 60_000, async () => ((await console_.api('machines.inventory', { machineId }))?.gatheredAt ?? 0) > before);
    await details.getByRole('button', { name: 'Xong', exact: true }).click();
  }, 120_000);

  it('watches a two-monitor PC large: the whole desktop first, then one monitor when chosen', async () => {
    const dir = agentDir('pc-dual');
    const code = (await console_.api('enrolment.create', {})).code;
    const enrol = new AgentUnderTest(['enrol', '--console', console_.agentUrl, '--code', code, '--data-dir', dir, '--hostname', 'PC-DUAL']);
    expect(await enrol.exitCode(soonMs), enrol.output).toBe(0);
    const dual = new AgentUnderTest(['run', '--platform', 'simulated', '--data-dir', dir, '--hostname', 'PC-DUAL'], { SAFELAB_SIMULATED_SCREENS: '2' });
    await waitFor('the two-monitor PC online', soonMs, async () => (await tile('PC-DUAL').getAttribute('data-online')) === 'true', () => dual.output);

    await page.getByRole('button', { name: 'Bắt đầu tiết học', exact: true }).click();
    const start = page.getByRole('dialog');
    await start.getByLabel('Tên lớp').fill('9B');
    await start.getByRole('button', { name: 'Bắt đầu', exact: true }).click();
    await page.getByText('Đang trong tiết học: lớp 9B').waitFor({ timeout: 10_000 });

    await waitFor('a picture on the tile', soonMs, async () => (await tile('PC-DUAL').locator('img').count()) > 0);
    await page.getByRole('button', { name: 'Xem lớn màn hình PC-DUAL', exact: true }).click();
    const live = dialog('Màn hình PC-DUAL');
    const choice = live.getByRole('group', { name: 'Màn hình hiển thị' });
    await choice.waitFor({ timeout: 5_000 });
    expect(await choice.getByRole('radio').count()).toBe(3);
    expect(await choice.getByRole('radio', { name: 'Toàn bộ màn hình' }).isChecked()).toBe(true);
    const image = live.getByRole('img', { name: 'Màn hình của PC-DUAL' });
    // Both monitors side by side: about 32:9, sent large.
    await waitFor('the whole desktop, large', 10_000, async () => (await image.count()) > 0 && Number(await image.getAttribute('width')) === 960 && Number(await image.getAttribute('height')) === 270);

    await choice.getByRole('radio', { name: 'Màn hình 2' }).check();
    await waitFor('the second monitor alone', 10_000, async () => (await image.count()) > 0 && Number(await image.getAttribute('height')) === 540);
    expect(Number(await image.getAttribute('width'))).toBe(960);
    // Behind it, the tile keeps the whole desktop (never one monitor passing for it), marked as held.
    const dualTile = tile('PC-DUAL');
    await waitFor('the tile marked as held', 10_000, async () => (await dualTile.getAttribute('data-picture-held')) === 'true');
    const tileImage = dualTile.locator('img');
    expect(Number(await tileImage.getAttribute('width')) / Number(await tileImage.getAttribute('height'))).toBeCloseTo(32 / 9, 1);
    expect(await dualTile.getByTestId('tile-picture-held').innerText()).toMatch(/^Ảnh lúc \d{2}:\d{2}:\d{2} \(đang xem lớn một màn hình\)$/);
    await page.screenshot({ path: join(screenshotDir, 'live-view-second-monitor-vi.png') });
    await page.keyboard.press('Escape');
    await live.waitFor({ state: 'detached', timeout: 5_000 });
    // Back to the grid rate: whole-desktop pictures again, no longer held.
    await waitFor('the tile live again', 10_000, async () => (await dualTile.getAttribute('data-picture-held')) === 'false');
    expect(await dualTile.getByTestId('tile-picture-held').count()).toBe(0);
    // A PC with one monitor offers no choice.
    await page.getByRole('button', { name: 'Xem lớn màn hình PC-E2E', exact: true }).click();
    const single = dialog('Màn hình PC-E2E');
    await single.getByRole('img', { name: 'Màn hình của PC-E2E' }).waitFor({ timeout: 10_000 });
    expect(await single.getByRole('group', { name: 'Màn hình hiển thị' }).count()).toBe(0);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    await dialog('Kết thúc tiết học?').getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    await page.getByText('Chưa có tiết học', { exact: true }).waitFor({ timeout: 10_000 });
    await dual.stop();
  }, 90_000);

  it('removes a PC: it leaves the lab, its agent is cut off, and it is refused when it tries again', async () => {
    await page.getByRole('button', { name: 'Thông tin máy PC-E2E', exact: true }).click();
    await dialog('Thông tin máy PC-E2E').getByRole('button', { name: 'Gỡ máy', exact: true }).click();
    const confirm = dialog('Gỡ PC-E2E khỏi SafeLab?');
    expect(await confirm.innerText()).toContain('PC-E2E sẽ bị ngắt kết nối ngay');
    await confirm.getByRole('button', { name: 'Gỡ PC-E2E', exact: true }).click();
    await confirm.waitFor({ state: 'detached', timeout: 5_000 });
    await waitFor('the tile to go', 10_000, async () => (await tile('PC-E2E').count()) === 0);
    expect(await machineNamed('PC-E2E')).toBeUndefined();

    // The running agent is told it was removed and stops with its "removed" exit code…
    expect(await pc!.exitCode(soonMs)).toBe(4);
    // …and started again it is refused at once.
    const again = new AgentUnderTest(['run', '--platform', 'simulated', '--data-dir', agentDirs.find((d) => d.includes('pc-e2e'))!, '--hostname', 'PC-E2E']);
    expect(await again.exitCode(soonMs)).toBe(4);
    expect(again.output).toMatch(/no longer accepts this PC/);
  }, 60_000);

  it('shows a PC whose screen SafeLab cannot control (no X session yet) with a warning, its web filter still running', async () => {
    const dir = agentDir('pc-nox');
    const enrol = new AgentUnderTest(['enrol', '--enrolment-file', downloadedFile, '--data-dir', dir, '--hostname', 'PC-NOX']);
    expect(await enrol.exitCode(soonMs), enrol.output).toBe(0);
    // A Linux PC whose graphical session is not there (display :197 has no X server); its DNS filter
    // runs on a private port so the test leaves this machine's own DNS alone.
    const noX = new AgentUnderTest(['run', '--platform', 'linux', '--display', ':197', '--data-dir', dir, '--hostname', 'PC-NOX', '--dns-listen', '127.0.0.1:0', '--system-resolver', 'off', '--dns-firewall', 'off'], { DISPLAY: '' });
    const chip = tile('PC-NOX').getByTestId('desktop-problem');
    await waitFor('the desktop warning on the tile', soonMs, async () => (await chip.count()) > 0, () => noX.output + console_.tail());
    expect(await chip.getAttribute('data-code')).toBe('desktop-unavailable');
    expect(await chip.innerText()).toContain('Không điều khiển được màn hình máy này');
    expect(await chip.getAttribute('title')).toContain('bộ lọc web vẫn chạy');
    expect(await tile('PC-NOX').getAttribute('data-online')).toBe('true');
    await page.screenshot({ path: join(screenshotDir, 'computers-desktop-unavailable.png') });
    expect(noX.child.exitCode).toBeNull();
    await noX.stop();
  }, 60_000);

  it('says so when the link is wrong, when the console stops, and when it came back with a new link', async () => {
    // A link with a wrong token.
    const stranger = await context.newPage();
    try {
      await stranger.goto(`${console_.file.apiUrl}/#token=not-the-token`);
      await stranger.getByRole('heading', { name: 'Console không chấp nhận liên kết này' }).waitFor({ timeout: soonMs });
    } finally {
      await stranger.close();
    }

    // The console stops: the open page says the connection is lost and keeps trying.
    const apiPort = new URL(console_.file.apiUrl).port;
    await console_.stop();
    const lost = page.getByTestId('connection-lost');
    await lost.waitFor({ timeout: soonMs });
    expect(await lost.innerText()).toContain('Mất kết nối tới console');
    expect(await page.getByTestId('connection-status').innerText()).toContain('Mất kết nối');
    await sleep(1_000);
    expect(await lost.count()).toBe(1);

    // It comes back on the same address with a new token: this page's link no longer works.
    await console_.start(['--no-demo', '--api-port', apiPort]);
    await page.getByText('Mã truy cập không còn hợp lệ', { exact: false }).first().waitFor({ timeout: soonMs });
    // The new link, opened afresh (as pasted into a new tab), works.
    await page.goto('about:blank');
    await page.goto(console_.link);
    await page.getByTestId('connection-status').getByText('Đã kết nối').waitFor({ timeout: soonMs });
  }, 90_000);
});
