// End to end on a real X screen: the console in web mode, a real agent driving an Xvfb display, and the teacher UI in Chromium — lesson, live thumbnail, badge, lock, unlock, end.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badgeMarginPx } from '../../src/agent/platform/linux/indicator.js';
import { colours, renderBadge, renderLockPanel } from '../../src/agent/platform/linux/panels.js';
import type { Lab, Machine } from '../../src/shared/api/contract.js';
import { translate } from '../../src/shared/i18n/index.js';
import { startConsoleProcess, tempDataDir, removeDir, agentUrl, type ConsoleProcess } from '../integration/helpers/console-process.js';
import { assertBuilt, builtFile } from '../integration/helpers/paths.js';
import { stopAllChildren } from '../integration/helpers/processes.js';
import { enrolAgent, runAgentWith, type RunningAgent } from '../integration/helpers/real-agent.js';
import {
  isViewable,
  near,
  pixel,
  processState,
  requireXTools,
  screenshot,
  startClient,
  startXvfb,
  studentUid,
  tool,
  waitFor,
  windowsNamed,
  type ClientProcess,
  type Xvfb,
} from '../integration/linux/x-session.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The student screen: one 1280x720 monitor. */
const screen = { width: 1280, height: 720 } as const;
/** Known content: the left half red, the right half blue, and a green student window (the input recorder) on top. */
const leftColour = 0xff0000;
const rightColour = 0x0000ff;
const recorderColour = 0x00c000;
const recorderRect = { x: 100, y: 100, width: 300, height: 200 } as const;

const hostname = 'LINUX-PC-01';
const labName = 'Phòng Linux';
const className = '10A2';
const lockMessage = 'Cả lớp dừng tay, nhìn lên bảng — cô sẽ giảng bài mới';

/** Faster than the default so the test sees fresh frames quickly. */
const thumbnailIntervalMs = 1000;
/** Anything the console, agent or browser must do "soon" on a loaded 2-core machine. */
const soonMs = 40_000;
/** How long a key or click gets to reach the student window when it should. */
const deliveryMs = 8_000;
/** How long we watch for a key or click that must NOT reach the student window (it would arrive within milliseconds). */
const quietMs = 1_500;
/** JPEG and scaling blur colours a little; the colours we look for are far apart. */
const thumbnailTolerance = 48;

let x: Xvfb | null = null;
let colourWindows: ClientProcess | null = null;
let recorder: ClientProcess | null = null;
/** The student's script that fights the lock (run as a user id no other process has). */
let killer: ClientProcess | null = null;
let consoleProc: ConsoleProcess | null = null;
let agent: RunningAgent | null = null;
let browser: Browser | null = null;
let page: Page;
let consoleDir = '';
let agentDir = '';
let lab: Lab;
let machineId = '';

/** What the processes said, for a failure message. */
function logs(): string {
  return `\n--- agent ---\n${agent?.log.text().slice(-3000) ?? '(none)'}\n--- console ---\n${consoleProc?.log.text().slice(-3000) ?? '(none)'}`;
}

/** Bounded polling (x-session's waitFor) that adds the agent and console logs when it gives up. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T> | T, intervalMs = 200): Promise<NonNullable<T>> {
  try {
    return (await waitFor(what, probe, timeoutMs, intervalMs)) as NonNullable<T>;
  } catch (error) {
    throw new Error(`${(error as Error).message}${logs()}`);
  }
}

async function thisMachine(): Promise<Machine | undefined> {
  return (await consoleProc!.api.call('machines.list', { labId: lab.id })).find((m) => m.hostname === hostname);
}

/** A display number nobody serves (no socket, no lock file): an X display that does not answer. */
function deadDisplay(): string {
  for (let n = 3999; n > 3000; n--) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return `:${n}`;
  }
  throw new Error('no free display number');
}

async function geometry(wid: number): Promise<{ x: number; y: number; width: number; height: number }> {
  const out = await tool(x!.display, 'xwininfo', ['-id', String(wid)]);
  const num = (label: string): number => Number(out.match(new RegExp(`${label}:\\s+(-?\\d+)`))![1]);
  return { x: num('Absolute upper-left X'), y: num('Absolute upper-left Y'), width: num('Width'), height: num('Height') };
}

/** Types into the focused window and reports whether the student window got the keys within `waitMs`. */
async function typingReaches(waitMs: number): Promise<boolean> {
  const before = recorder!.lines.length;
  await tool(x!.display, 'xdotool', ['type', '--delay', '30', 'abc']);
  const keys = (): number => recorder!.lines.slice(before).filter((l) => l.startsWith('key ')).length;
  try {
    await waitFor('keys at the student window', () => keys() >= 3, waitMs, 25);
    return true;
  } catch {
    return keys() > 0;
  }
}

/** Clicks in the middle of the student window and reports whether it got the click within `waitMs`. */
async function clickReaches(waitMs: number): Promise<boolean> {
  const before = recorder!.lines.length;
  const cx = recorderRect.x + recorderRect.width / 2;
  const cy = recorderRect.y + recorderRect.height / 2;
  await tool(x!.display, 'xdotool', ['mousemove', String(cx), String(cy), 'click', '1']);
  try {
    await waitFor('a click at the student window', () => recorder!.lines.slice(before).some((l) => l.startsWith('button ')), waitMs, 25);
    return true;
  } catch {
    return false;
  }
}

/** Pixels differing by more than 2 on any channel between `picture` and the Xvfb screenshot at (left, top). */
function differingPixels(
  picture: { data: Buffer; width: number; height: number; channels: number },
  shot: { data: Buffer; width: number },
  left: number,
  top: number,
): number {
  let differing = 0;
  for (let py = 0; py < picture.height; py++) {
    for (let px = 0; px < picture.width; px++) {
      const want = pixel({ data: picture.data, width: picture.width, channels: picture.channels }, px, py);
      const got = pixel(shot, left + px, top + py);
      if (want.some((v, i) => Math.abs(v - got[i]!) > 2)) differing++;
    }
  }
  return differing;
}

interface TileSample {
  width: number;
  height: number;
  /** RGB at each requested point, given as fractions of the image size. */
  colours: number[][];
}

/**
 * The tile's current thumbnail, sampled in the page by drawing the image onto a canvas (the
 * page's content security policy rightly forbids fetching its blob URL). Null without an image.
 */
async function tileSample(points: readonly (readonly [number, number])[]): Promise<TileSample | null> {
  return page.evaluate(`(() => {
    const img = document.querySelector('[data-testid="machine-tile"] img');
    if (!img || !img.complete || img.naturalWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const colours = ${JSON.stringify(points)}.map(([fx, fy]) => {
      const px = Math.min(canvas.width - 1, Math.floor(fx * canvas.width));
      const py = Math.min(canvas.height - 1, Math.floor(fy * canvas.height));
      return Array.from(ctx.getImageData(px, py, 1, 1).data.slice(0, 3));
    });
    return { width: canvas.width, height: canvas.height, colours };
  })()`);
}

/** Points of the thumbnail (fractions) and the colour the real screen has there. */
const unlockedScreen: { at: readonly [number, number]; colour: number }[] = [
  { at: [0.25, 0.8], colour: leftColour },
  { at: [0.75, 0.8], colour: rightColour },
  { at: [(recorderRect.x + recorderRect.width / 2) / screen.width, (recorderRect.y + recorderRect.height / 2) / screen.height], colour: recorderColour },
];
/** The lock covers everything, the badge's corner included. */
const lockedScreen: { at: readonly [number, number]; colour: number }[] = [
  { at: [0.02, 0.03], colour: colours.lockCover },
  { at: [0.98, 0.03], colour: colours.lockCover },
  { at: [0.02, 0.97], colour: colours.lockCover },
  { at: [0.98, 0.97], colour: colours.lockCover },
];

/** Waits until the tile shows a thumbnail with the expected colours; returns the last sample. */
async function tileShows(what: string, expected: { at: readonly [number, number]; colour: number }[]): Promise<TileSample> {
  let last: TileSample | null = null;
  try {
    return await eventually(what, soonMs, async () => {
      last = await tileSample(expected.map((e) => e.at));
      return last && expected.every((e, i) => near(last!.colours[i]!, e.colour, thumbnailTolerance)) ? last : null;
    }, 300);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast tile sample: ${JSON.stringify(last)}`);
  }
}

const tiles = () => page.locator('[data-testid="machine-tile"]');

// No skipping when X tools are missing: a CI machine without them must fail, not pass quietly.
describe('a real Linux PC (Xvfb) watched, locked and unlocked from the teacher console', () => {
  beforeAll(async () => {
    requireXTools();
    assertBuilt();
    builtFile('renderer/index.html');
    x = await startXvfb(screen.width, screen.height);
    colourWindows = startClient(x.display, 'colour-windows.cjs', [
      `0,0,${screen.width / 2},${screen.height},${leftColour.toString(16).padStart(6, '0')}`,
      `${screen.width / 2},0,${screen.width / 2},${screen.height},${rightColour.toString(16).padStart(6, '0')}`,
    ]);
    await colourWindows.waitForLine(/^ready/);
    // The student's work: mapped after the colour windows so it is on top; it takes the keyboard focus.
    recorder = startClient(x.display, 'input-recorder.cjs', [recorderRect.x, recorderRect.y, recorderRect.width, recorderRect.height].map(String));
    await recorder.waitForLine(/^ready/);

    consoleDir = tempDataDir('e2e-linux-console');
    agentDir = tempDataDir('e2e-linux-agent');
    consoleProc = await startConsoleProcess({ dataDir: consoleDir, thumbnailIntervalMs });
    lab = await consoleProc.api.call('labs.create', { name: labName });
    const enrolment = await consoleProc.api.call('enrolment.create', { labId: lab.id, ttlMinutes: 30 });
    const enrolled = await enrolAgent({ dataDir: agentDir, hostname, consoleUrl: agentUrl(consoleProc.file.agentPort), code: enrolment.code, timeoutMs: soonMs });
    if (enrolled.exitCode !== 0) throw new Error(`agent enrol failed (${enrolled.exitCode}):\n${enrolled.output}${logs()}`);

    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true, timeout: soonMs });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await consoleProc?.stop().catch(() => undefined);
    await stopAllChildren().catch(() => undefined);
    if (killer && processState(killer.pid) === 'T') process.kill(killer.pid, 'SIGCONT');
    await killer?.stop().catch(() => undefined);
    await recorder?.stop().catch(() => undefined);
    await colourWindows?.stop().catch(() => undefined);
    await x?.stop().catch(() => undefined);
    removeDir(consoleDir);
    removeDir(agentDir);
  }, 60_000);

  it('is enrolled: the agent status names the machine the console knows', async () => {
    const status = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [builtFile('agent/cli.js'), 'status', '--data-dir', agentDir, '--json'], { timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(stdout),
      ),
    );
    const parsed = JSON.parse(status) as { enrolled: boolean; machineId: string; hostname: string };
    const known = await thisMachine();
    expect(known).toBeDefined();
    machineId = known!.id;
    expect(parsed).toMatchObject({ enrolled: true, machineId, hostname });
    expect(known!.online).toBe(false);
  }, 30_000);

  it('runs on when the X display does not answer, the console showing why, and picks Linux by itself when it does', async () => {
    // No --platform, DISPLAY pointing at nothing (a PC at boot, a Wayland greeter): the agent does not
    // exit; it stays online, its tile's state names the problem, and it keeps trying in the background.
    const dead = deadDisplay();
    const waiting = runAgentWith({ dataDir: agentDir, hostname, args: ['--dns-listen', 'off'], env: { DISPLAY: dead } });
    const pending = await eventually('the machine online with its desktop problem', soonMs, async () => {
      const m = await thisMachine();
      return m?.online && m.state.desktopProblem?.code === 'desktop-unavailable' ? m : null;
    });
    expect(pending.desktop).toBe('linux');
    expect(pending.state.desktopProblem!.detail).toContain(dead);
    // Both languages for IT staff reading the service log.
    expect(waiting.log.text()).toContain(translate('vi', 'agent.desktop.keepTrying', { reason: dead }).split(dead)[0]);
    expect(waiting.log.text()).toContain(translate('en', 'agent.desktop.keepTrying', { reason: dead }).split(dead)[0]);
    await waiting.stop();
    await eventually('the machine offline after the waiting agent stopped', soonMs, async () => (await thisMachine())?.online === false);

    // No --platform, DISPLAY = the Xvfb server: the agent drives the X desktop and says so in hello.
    // (--dns-listen off: the web filter on port 53 as root would take over this machine's resolver.)
    agent = runAgentWith({ dataDir: agentDir, hostname, args: ['--dns-listen', 'off'], env: { DISPLAY: x!.display } });
    const seen = await eventually('the machine online with a linux desktop', soonMs, async () => {
      const m = await thisMachine();
      return m?.online && m.desktop === 'linux' ? m : null;
    });
    expect(seen.screens).toHaveLength(1);
    expect(seen.screens[0]).toMatchObject({ x: 0, y: 0, width: screen.width, height: screen.height });
    expect(agent.log.text()).toContain(`desktop.connected display=${x!.display}`);

    await agent.stop();
    agent = null;
    await eventually('the machine offline after the agent stopped', soonMs, async () => (await thisMachine())?.online === false);
  }, 120_000);

  it('runs with --platform linux --display and the teacher sees the PC online in the browser, with no screen outside a lesson', async () => {
    // As a service would run it: no DISPLAY in the environment, the display named on the command line.
    agent = runAgentWith({ dataDir: agentDir, hostname, args: ['--platform', 'linux', '--display', x!.display, '--dns-listen', 'off'], env: { DISPLAY: undefined } });
    await eventually('the machine online with a linux desktop', soonMs, async () => {
      const m = await thisMachine();
      return m?.online && m.desktop === 'linux';
    });

    await page.goto(`${consoleProc!.file.apiUrl}/#token=${consoleProc!.file.token}`, { timeout: soonMs });
    await eventually('the online tile of the Linux PC', soonMs, async () => (await page.locator(`[data-testid="machine-tile"][data-online="true"][data-machine-id="${machineId}"]`).count()) === 1);
    expect(await tiles().count()).toBe(1);
    expect(await tiles().first().innerText()).toContain(hostname);
    expect(await tiles().locator('img').count()).toBe(0);
    // Outside a lesson the student screen carries no badge.
    expect(await windowsNamed(x!.display, 'SafeLab monitoring indicator')).toEqual([]);
  }, 90_000);

  it('starts a lesson from the UI and the tile shows the real X screen', async () => {
    // The recorder proves keys reach the student's window before anything is locked.
    expect(await typingReaches(deliveryMs)).toBe(true);

    await page.getByRole('button', { name: 'Bắt đầu tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Tên lớp').fill(className);
    await dialog.getByRole('button', { name: 'Bắt đầu', exact: true }).click();
    await page.getByText(`Đang trong tiết học: lớp ${className}`).waitFor({ timeout: soonMs });

    const sample = await tileShows('the tile to show red | blue with the green student window', unlockedScreen);
    // The whole 16:9 desktop, scaled down on the agent.
    expect(sample.width).toBeLessThan(screen.width);
    expect(Math.abs(sample.width / sample.height - screen.width / screen.height)).toBeLessThan(0.03);
  }, 90_000);

  it('shows the Vietnamese monitoring badge with the class name on the X screen during the lesson', async () => {
    const [badge] = await eventually('the badge window', soonMs, async () => {
      const found = await windowsNamed(x!.display, 'SafeLab monitoring indicator');
      return found.length === 1 && (await isViewable(x!.display, found[0]!)) ? found : null;
    });
    const picture = await renderBadge(translate('vi', 'student.indicator.monitoredLesson', { className }), screen.height);
    const where = await geometry(badge!);
    expect(where).toEqual({ x: screen.width - picture.width - badgeMarginPx, y: badgeMarginPx, width: picture.width, height: picture.height });
    // On screen, pixel for pixel, is the rendered Vietnamese text with this lesson's class name.
    const shot = await screenshot(x!.display);
    expect(differingPixels(picture, shot, where.x, where.y)).toBe(0);
  }, 60_000);

  it('locks from the UI with a Vietnamese message: the X screen shows it and no key or click reaches the student window', async () => {
    await page.getByRole('button', { name: 'Khoá màn hình', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Khoá màn hình (1 máy)' });
    await dialog.getByLabel('Lời nhắn hiện trên màn hình khoá').fill(lockMessage);
    await dialog.getByRole('button', { name: 'Khoá 1 máy', exact: true }).click();
    await eventually('the lock summary', soonMs, async () => (await page.getByTestId('command-summary').innerText().catch(() => '')) === 'Đã khoá 1/1 máy');
    await eventually('a locked tile', soonMs, async () => (await page.locator('[data-testid="machine-tile"][data-locked="true"]').count()) === 1);
    expect((await thisMachine())!.state).toMatchObject({ locked: true, lockMessage, lessonActive: true });

    // The X screen: one viewable lock window, the cover everywhere (over the badge too), and the
    // panel in the middle is exactly the teacher's message as the agent renders it.
    const [cover] = await eventually('the lock window', soonMs, async () => {
      const found = await windowsNamed(x!.display, 'SafeLab lock');
      return found.length === 1 && (await isViewable(x!.display, found[0]!)) ? found : null;
    });
    expect(await geometry(cover!)).toEqual({ x: 0, y: 0, ...screen });
    const panel = await renderLockPanel({ title: translate('vi', 'student.lock.title'), message: lockMessage, screenWidth: screen.width, screenHeight: screen.height });
    const left = Math.floor((screen.width - panel.width) / 2);
    const top = Math.floor((screen.height - panel.height) / 2);
    const shot = await eventually('the lock on screen', soonMs, async () => {
      const s = await screenshot(x!.display);
      return differingPixels(panel, s, left, top) === 0 ? s : null;
    });
    const badgeCorner = pixel(shot, screen.width - badgeMarginPx - 4, badgeMarginPx + 4);
    for (const [px, py] of [[0, 0], [screen.width - 1, 0], [0, screen.height - 1], [screen.width - 1, screen.height - 1], [recorderRect.x + 10, recorderRect.y + 10]] as const) {
      expect(near(pixel(shot, px, py), colours.lockCover, 0), `(${px},${py})`).toBe(true);
    }
    expect(near(badgeCorner, colours.lockCover, 0)).toBe(true);

    // Input is blocked: typing and clicking reach nothing while locked.
    const linesBefore = recorder!.lines.length;
    expect(await typingReaches(quietMs)).toBe(false);
    expect(await clickReaches(quietMs)).toBe(false);
    await tool(x!.display, 'xdotool', ['key', 'alt+Tab', 'super+d', 'ctrl+alt+t']);

    // The teacher sees the lock in the tile, and nothing typed above ever arrived.
    await tileShows('the tile to show the lock', lockedScreen);
    expect(recorder!.lines.slice(linesBefore)).toEqual([]);
  }, 120_000);

  it('tells the teacher on the tile when a student fights the lock, and keeps the screen locked', async () => {
    // The student runs a script that kills every window as it appears, then kills the lock once.
    killer = startClient(x!.display, 'kill-loop.cjs', [], { uid: studentUid, gid: studentUid });
    await killer.waitForLine(/^ready/);
    const [cover] = await windowsNamed(x!.display, 'SafeLab lock');
    await tool(x!.display, 'xkill', ['-id', String(cover)]);

    const warning = page.locator('[data-testid="lock-warning"][data-issue="contested"]');
    await eventually('the contest warning on the tile', soonMs, async () => (await warning.count()) === 1);
    expect(await warning.innerText()).toContain(translate('vi', 'ui.tile.lockContested'));
    expect((await thisMachine())!.state).toMatchObject({ locked: true, lockIssue: 'contested' });
    await eventually('the script paused', soonMs, () => processState(killer!.pid) === 'T');
    // Still locked on the X screen, input still blocked.
    const [now] = await eventually('the lock window', soonMs, async () => {
      const found = await windowsNamed(x!.display, 'SafeLab lock');
      return found.length === 1 && (await isViewable(x!.display, found[0]!)) ? found : null;
    });
    expect(await geometry(now!)).toEqual({ x: 0, y: 0, ...screen });
    expect(await typingReaches(quietMs)).toBe(false);
    expect(consoleProc!.log.text()).toContain('reports a lock issue: contested');
  }, 120_000);

  it('unlocks from the UI: the lock is gone, keys and clicks reach the student window again, the badge is back on top', async () => {
    await page.getByRole('button', { name: 'Mở khoá', exact: true }).click();
    await eventually('the unlock summary', soonMs, async () => (await page.getByTestId('command-summary').innerText().catch(() => '')) === 'Đã mở khoá 1/1 máy');
    await eventually('no lock window', soonMs, async () => (await windowsNamed(x!.display, 'SafeLab lock')).length === 0);
    expect((await thisMachine())!.state.locked).toBe(false);
    expect((await thisMachine())!.state.lockIssue).toBeUndefined();
    expect(await page.locator('[data-testid="lock-warning"]').count()).toBe(0);
    // The student's script runs again once the lock is gone; it has nothing left to fight.
    await eventually('the script running again', soonMs, () => processState(killer!.pid) !== 'T');
    await killer!.stop();
    killer = null;

    expect(await typingReaches(deliveryMs)).toBe(true);
    expect(await clickReaches(deliveryMs)).toBe(true);

    // Resumed, the script still holds the map events of the lock's last windows and may kill the
    // agent's connection once more: the badge comes back with the reconnect.
    const [badge] = await eventually('the badge window', soonMs, async () => {
      const found = await windowsNamed(x!.display, 'SafeLab monitoring indicator');
      return found.length === 1 && (await isViewable(x!.display, found[0]!)) ? found : null;
    });
    const where = await geometry(badge!);
    await eventually('the badge on top after unlock', soonMs, async () => near(pixel(await screenshot(x!.display), where.x + 2, where.y + 2), colours.badgeBackground, 0));
    await tileShows('the tile to show the real screen again', unlockedScreen);
    expect(await page.locator('[data-testid="machine-tile"][data-locked="true"]').count()).toBe(0);
  }, 90_000);

  it('ends the lesson from the UI: the badge leaves the X screen and the tile shows no screen', async () => {
    const [badge] = await windowsNamed(x!.display, 'SafeLab monitoring indicator');
    const where = await geometry(badge!);

    await page.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Kết thúc tiết học?' });
    await dialog.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    await page.getByText('Chưa có tiết học', { exact: true }).waitFor({ timeout: soonMs });

    await eventually('no badge window', soonMs, async () => (await windowsNamed(x!.display, 'SafeLab monitoring indicator')).length === 0);
    // Where the badge was, the student's own screen (the blue half) shows again.
    const shot = await screenshot(x!.display);
    expect(near(pixel(shot, where.x + 2, where.y + 2), rightColour, 0)).toBe(true);
    await eventually('the tile without a screen', soonMs, async () => (await tiles().locator('img').count()) === 0);
    await eventually('the agent out of the lesson', soonMs, async () => (await thisMachine())?.state.lessonActive === false);
    // And the student keeps working.
    expect(await typingReaches(deliveryMs)).toBe(true);
  }, 90_000);
});
