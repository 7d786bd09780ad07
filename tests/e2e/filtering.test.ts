// Web filtering end to end: the real console, two real agents (one with its DNS filter in front of
// a loopback test upstream, one without a filter), driven through the web UI in a real Chromium.
// The teacher switches the lab to "lesson sites only" and a DNS query for a non-lesson site is
// refused, the attempt shows up live in the panel, and the site resolves again after the lesson.
// IT staff add a list file in the UI and see the lines it could not use and why, in both languages,
// and remove it; a PC whose filter could not start, and one whose DNS setting was changed behind
// its filter, are named in the filter bar; a PC whose DNS firewall could not be turned on is shown
// as filtering, with a warning that programs can go round it, never as a PC that filters nothing;
// each PC's details say what the PC itself reported and how often its DNS setting was changed.
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, promises as fs, statSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, Machine } from '../../src/shared/api/contract.js';
import { TestUpstream } from '../integration/dns/test-upstream.js';
import type { HttpApi } from '../integration/helpers/console-api.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../integration/helpers/console-process.js';
import { builtFile } from '../integration/helpers/paths.js';
import { spawnTracked, stopAllChildren } from '../integration/helpers/processes.js';
import { enrolAgent } from '../integration/helpers/real-agent.js';
import { LineLog } from '../integration/helpers/wait.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** On the lesson platforms allowlist (resources/lists/lesson-platforms.txt). */
const lessonSite = 'olm.vn';
const lessonSiteAddress = '203.0.113.10';
/** A news site: open under the lab baseline, not a lesson platform. */
const otherSite = 'vnexpress.net';
const otherSiteAddress = '203.0.113.20';
/** Upper bound for anything that must happen "soon" (enrol, push a list, report an attempt). */
const soonMs = 30_000;

let upstream: TestUpstream | null = null;
let consoleProcess: ConsoleProcess | null = null;
let api: HttpApi;
let browser: Browser | null = null;
let page: Page;
let lab: Lab;
let dnsPort = 0;
const dirs: string[] = [];
const agentLogs: LineLog[] = [];
const screenshotDir = process.env['SAFELAB_E2E_SCREENSHOTS'] ?? mkdtempSync(join(tmpdir(), 'safelab-e2e-filtering-shots-'));
/** Whether PC-04 (a resolver on port 53 of its own loopback address; needs root) could run. */
let withResolver = false;
/** The user an agent runs as when its DNS firewall must be refused by the kernel. */
const unprivileged = 65534;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function diagnostics(): string {
  return [`--- console ---\n${consoleProcess?.log.text().slice(-3000) ?? ''}`, ...agentLogs.map((l, i) => `--- agent ${i + 1} ---\n${l.text().slice(-2000)}`)].join('\n');
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
}

/** What the agent's DNS filter answers for `name`: its addresses, or 'refused' (0.0.0.0 / NXDOMAIN). */
async function lookup(name: string): Promise<string[] | 'refused'> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  try {
    const addresses = await resolver.resolve4(name);
    return addresses.every((a) => a === '0.0.0.0') ? 'refused' : addresses.sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTFOUND') return 'refused';
    throw error;
  }
}

async function machineNamed(name: string): Promise<Machine | undefined> {
  return (await api.call('machines.list', {})).find((m) => m.name === name);
}

async function filterStatusOf(name: string) {
  const machine = await machineNamed(name);
  const status = await api.call('filtering.status', { labId: lab.id });
  return status.machines.find((m) => m.machineId === machine?.id);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, name), fullPage: true });
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) chownTree(file, uid);
    else chownSync(file, uid, uid);
  }
}

/** Why the kernel will not refuse nftables to the unprivileged user here, or '' when it will. */
function whyNftNotRefused(): Promise<string> {
  if (process.getuid?.() !== 0) return Promise.resolve('needs root to start an agent as another user');
  return new Promise((resolve) => {
    execFile('setpriv', [`--reuid=${unprivileged}`, `--regid=${unprivileged}`, '--clear-groups', 'nft', 'list', 'tables'], { timeout: 10_000 }, (error, _stdout, stderr) =>
      resolve(error && /Operation not permitted/.test(String(stderr)) ? '' : `nft is not refused to uid ${unprivileged}: ${String(stderr || error?.message || 'allowed').trim().slice(0, 100)}`),
    );
  });
}

/**
 * `dns.upstream`: a port of the test upstream on loopback, or an address:port elsewhere.
 * `firewallRefused`: runs as an unprivileged user with --dns-firewall on, as an agent installed
 * without rights would: the kernel refuses its firewall, this machine's firewall stays untouched.
 */
async function startAgent(
  hostname: string,
  dns: { listen: number | string; upstream: number | string; resolvConf?: string } | null,
  options: { firewallRefused?: boolean } = {},
): Promise<void> {
  const dataDir = tempDataDir(`e2e-agent-${hostname}`);
  dirs.push(dataDir);
  const { code } = await api.call('enrolment.create', { labId: lab.id });
  const enrolled = await enrolAgent({ dataDir, hostname, consoleUrl: consoleProcess!.agentUrl, code });
  if (enrolled.exitCode !== 0) throw new Error(`enrol ${hostname} failed (${enrolled.exitCode}):\n${enrolled.output}`);
  const args = [builtFile('agent/cli.js'), 'run', '--platform', 'simulated', '--data-dir', dataDir, '--hostname', hostname];
  if (dns) {
    args.push('--dns-listen', typeof dns.listen === 'number' ? `127.0.0.1:${dns.listen}` : dns.listen);
    args.push('--dns-upstream', typeof dns.upstream === 'number' ? `127.0.0.1:${dns.upstream}` : dns.upstream);
  }
  if (dns?.resolvConf) args.push('--system-resolver', dns.resolvConf);
  let command = process.execPath;
  if (options.firewallRefused) {
    args.push('--system-resolver', 'off', '--dns-firewall', 'on');
    chownTree(dataDir, unprivileged);
    args.unshift(`--reuid=${unprivileged}`, `--regid=${unprivileged}`, '--clear-groups', process.execPath);
    command = 'setpriv';
  }
  const child = spawnTracked(command, args, { env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '' } });
  agentLogs.push(new LineLog(child.stdout, child.stderr));
}

beforeAll(async () => {
  for (const file of ['main/start.js', 'agent/cli.js']) builtFile(file);
  if (!existsSync(join(builtFile('main/start.js'), '../../renderer/index.html'))) throw new Error('build the renderer first (npm run build)');
  mkdirSync(screenshotDir, { recursive: true });

  upstream = await TestUpstream.start({
    zone: {
      [lessonSite]: { A: [lessonSiteAddress] },
      [otherSite]: { A: [otherSiteAddress] },
    },
  });
  const consoleDir = tempDataDir('e2e-filtering-console');
  dirs.push(consoleDir);
  consoleProcess = await startConsoleProcess({ dataDir: consoleDir });
  api = consoleProcess.api;
  lab = (await api.call('labs.list', {}))[0]!;

  dnsPort = await freePort();
  await startAgent('PC-01', { listen: dnsPort, upstream: upstream.port });
  // A PC whose agent runs no DNS filter: the teacher must see that it is not filtering.
  await startAgent('PC-02', null);

  // The console compiles its own lists at start and pushes the lab baseline to PC-01.
  await waitFor('the baseline filter on PC-01', soonMs, async () => (await machineNamed('PC-01'))?.state.filter?.listSha256);
  await waitFor('PC-02 online', soonMs, async () => (await machineNamed('PC-02'))?.online);

  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  await page.goto(`${consoleProcess.file.apiUrl}/#token=${consoleProcess.file.token}`);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stopAllChildren();
  await upstream?.close().catch(() => undefined);
  for (const dir of dirs) removeDir(dir);
  process.stdout.write(`e2e filtering screenshots: ${screenshotDir}\n`);
}, 30_000);

describe('web filtering in the teacher console', () => {
  it('shows the lab baseline, that third-party lists are missing, and the PC that does not filter', async () => {
    const bar = page.getByTestId('filter-bar');
    await bar.waitFor({ timeout: soonMs });
    await waitFor('the baseline profile', 10_000, async () => (await page.getByTestId('baseline-profile').innerText()) === 'THCS (11–15 tuổi)');
    expect(await bar.innerText()).toContain('mặc định');

    const notice = page.getByTestId('lists-notice');
    expect(await notice.innerText()).toContain('Danh sách chặn bên ngoài chưa được tải: chỉ đang chặn theo danh sách của SafeLab');
    await notice.getByText('Điều này có nghĩa là gì?').click();
    expect(await notice.innerText()).toContain('Chỉ trang học tập');

    const pc1 = page.locator('[data-testid="machine-tile"]', { hasText: 'PC-01' });
    const pc2 = page.locator('[data-testid="machine-tile"]', { hasText: 'PC-02' });
    await waitFor('PC-01 filtering', soonMs, async () => (await pc1.getAttribute('data-filter')) === 'applied');
    await waitFor('a warning on PC-02', soonMs, async () => (await pc2.getByTestId('filter-warning').count()) === 1);
    expect(await pc2.getByTestId('filter-warning').innerText()).toBe('Không lọc web');
    expect(await pc1.getByTestId('filter-warning').count()).toBe(0);
    expect(await page.getByTestId('filter-problems').innerText()).toContain('PC-02');

    // The PC's details say why, for IT staff.
    await page.getByRole('button', { name: 'Thông tin máy PC-02', exact: true }).click();
    const details = page.getByTestId('details-filter');
    await details.waitFor({ timeout: 5_000 });
    expect(await details.innerText()).toMatch(/^Không lọc web — .+/);
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', timeout: 5_000 });

    // Under the open-web baseline both sites resolve through the filter.
    expect(await lookup(otherSite)).toEqual([otherSiteAddress]);
    expect(await lookup(lessonSite)).toEqual([lessonSiteAddress]);
    await shot('filtering-idle-vi.png');
  }, 60_000);

  it('starts a lesson and switches the lab to lesson sites only: a non-lesson site is refused, a lesson platform resolves', async () => {
    await page.getByRole('button', { name: 'Bắt đầu tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Tên lớp').fill('8A2');
    // The lesson may start stricter; this one starts as the lab is and switches during the lesson.
    expect(await dialog.getByRole('radio', { name: /Theo mức lọc của phòng/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('radio', { name: /Chỉ trang học tập/ }).count()).toBe(1);
    await shot('filtering-start-lesson-vi.png');
    await dialog.getByRole('button', { name: 'Bắt đầu', exact: true }).click();
    await page.getByText('Đang trong tiết học: lớp 8A2').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('lesson-filter').innerText()).toBe('theo mức lọc của phòng');

    await page.getByRole('button', { name: 'Chỉ trang học tập', exact: true }).click();
    await waitFor('the lesson profile in the filter bar', 15_000, async () => (await page.getByTestId('lesson-filter').innerText()) === 'Chỉ trang học tập');
    expect(await page.getByTestId('filter-bar').innerText()).toContain('Tự trở về mức lọc của phòng khi kết thúc tiết học.');
    await waitFor('PC-01 enforcing the allowlist', soonMs, async () => {
      const status = await filterStatusOf('PC-01');
      return status?.state === 'applied' && status.mode === 'allowlist-only';
    });

    expect(await lookup(otherSite)).toBe('refused');
    expect(await lookup(lessonSite)).toEqual([lessonSiteAddress]);
  }, 60_000);

  it('shows the blocked attempt live: total, per PC, the site and its category; and again after a reload', async () => {
    const panel = page.getByTestId('blocked-panel');
    await waitFor('the attempt in the panel', soonMs, async () => (await page.getByTestId('blocked-list').count()) > 0 && (await page.getByTestId('blocked-list').innerText()).includes(otherSite));
    const row = page.getByTestId('blocked-list').locator('tbody tr', { hasText: otherSite }).first();
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(cells[1]).toBe('PC-01');
    expect(cells[2]?.split('\n')).toEqual([otherSite, 'Không có trong danh sách cho phép của tiết học']);
    expect(await panel.innerText()).toContain('không ghi nội dung trang');
    const total = Number(/(\d+)/.exec(await page.getByTestId('blocked-total').innerText())?.[1]);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('blocked-per-machine').innerText()).toContain('PC-01');
    expect(await page.locator('[data-testid="machine-tile"]', { hasText: 'PC-01' }).getByTestId('blocked-count').innerText()).toContain('Bị chặn');
    // The lesson site went through: it is not listed.
    expect(await page.getByTestId('blocked-list').innerText()).not.toContain(lessonSite);
    await sleep(1500); // a thumbnail or two on the tiles before the picture
    await shot('filtering-lesson-allowlist-vi.png');
    // The narrowest lab PC screen the console supports.
    await page.setViewportSize({ width: 1024, height: 768 });
    await shot('filtering-lesson-allowlist-1024-vi.png');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The lesson's profile can also be chosen in a dialog: the current one is ticked.
    await page.getByRole('button', { name: 'Mức lọc khác…', exact: true }).click();
    const choose = page.getByRole('dialog', { name: 'Lọc web trong tiết học' });
    const current = choose.getByRole('radio', { name: /^Chỉ trang học tập/ });
    expect(await current.isChecked()).toBe(true);
    // Focus starts on the ticked choice, as in any radio group.
    await waitFor('focus on the ticked choice', 5_000, async () => (await page.evaluate(`document.activeElement && document.activeElement.getAttribute('value')`)) === 'lesson-allowlist');
    await shot('filtering-lesson-dialog-vi.png');
    await page.keyboard.press('Escape');
    await choose.waitFor({ state: 'detached', timeout: 5_000 });

    // What the console recorded for the lesson comes back after a reload.
    await page.reload();
    await waitFor('the attempt after a reload', soonMs, async () => (await page.getByTestId('blocked-list').count()) > 0 && (await page.getByTestId('blocked-list').innerText()).includes(otherSite));
    expect(Number(/(\d+)/.exec(await page.getByTestId('blocked-total').innerText())?.[1])).toBe(total);
  }, 60_000);

  it('ends the lesson in the UI and the non-lesson site resolves again', async () => {
    await page.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Kết thúc tiết học?' });
    expect(await dialog.innerText()).toContain('Lọc web của phòng sẽ trở về mức THCS (11–15 tuổi).');
    await dialog.getByRole('button', { name: 'Kết thúc tiết học', exact: true }).click();
    await page.getByText('Chưa có tiết học', { exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('blocked-panel').count()).toBe(0);

    const answer = await waitFor('the site to resolve again', soonMs, async () => {
      const result = await lookup(otherSite);
      return result === 'refused' ? null : result;
    });
    expect(answer).toEqual([otherSiteAddress]);
  }, 60_000);

  it('lets IT staff block an extra site in the lab baseline, with line errors in both languages', async () => {
    await page.getByRole('button', { name: 'Lọc web', exact: true }).click();
    const screen = page.getByTestId('profiles-screen');
    await screen.waitFor({ timeout: 10_000 });
    await screen.getByRole('button', { name: /THCS \(11–15 tuổi\)/ }).click();
    const editor = page.getByTestId('profile-editor');
    expect(await editor.locator('h2').innerText()).toBe('THCS (11–15 tuổi)');

    // Always-blocked categories are ticked and cannot be unticked.
    const adult = editor.getByRole('checkbox', { name: /^Nội dung người lớn/ });
    expect(await adult.isChecked()).toBe(true);
    expect(await adult.isDisabled()).toBe(true);
    const games = editor.getByRole('checkbox', { name: /^Trò chơi trực tuyến/ });
    expect(await games.isChecked()).toBe(true);
    expect(await games.isDisabled()).toBe(false);

    const extra = editor.getByLabel('Trang chặn thêm', { exact: true });
    await extra.fill(`https://${otherSite}/thoi-su\nkhong phai ten mien`);
    await editor.getByRole('button', { name: 'Lưu thay đổi', exact: true }).click();
    const problems = editor.getByTestId('profile-problems');
    await problems.waitFor({ timeout: 5_000 });
    expect(await problems.innerText()).toContain('Trang chặn thêm, dòng 2');

    await extra.fill(`https://${otherSite}/thoi-su`);
    await editor.getByRole('button', { name: 'Lưu thay đổi', exact: true }).click();
    await editor.getByText('Đã lưu và đang áp dụng').waitFor({ timeout: 15_000 });
    const saved = (await api.call('profiles.list', {})).profiles.find((r) => r.profile.id === 'preset-thcs');
    expect(saved?.profile.extraBlock).toEqual([otherSite]);
    await shot('filtering-profiles-vi.png');

    const refused = await waitFor('the extra block on PC-01', soonMs, async () => (await lookup(otherSite)) === 'refused');
    expect(refused).toBe(true);

    // The bilingual check: the same problem in English.
    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    const extraEn = editor.getByLabel('Extra blocked sites', { exact: true });
    await extraEn.fill('not a name');
    await editor.getByRole('button', { name: 'Save changes', exact: true }).click();
    expect(await problems.innerText()).toContain('Extra blocked sites, line 1');
    await editor.getByRole('button', { name: 'Discard changes', exact: true }).click();
  }, 90_000);

  it('lets IT staff change the lab baseline to THPT, which the PC then enforces', async () => {
    await page.getByRole('button', { name: 'Back to the lab', exact: true }).click();
    await page.getByRole('button', { name: 'Change (IT staff)', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Web filtering of ${lab.name}` });
    await dialog.getByRole('radio', { name: /Upper secondary — THPT/ }).check();
    await shot('filtering-baseline-dialog-en.png');
    await dialog.getByRole('button', { name: 'Apply to the lab', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 15_000 });
    await waitFor('the new baseline in the bar', 10_000, async () => (await page.getByTestId('baseline-profile').innerText()) === 'Upper secondary — THPT (15–18)');
    expect(await page.getByTestId('filter-bar').innerText()).not.toContain('default');
    await waitFor('PC-01 on THPT', soonMs, async () => (await filterStatusOf('PC-01'))?.profileId === 'preset-thpt');
    // THPT has no extra block for the news site.
    expect(await lookup(otherSite)).toEqual([otherSiteAddress]);
    await shot('filtering-idle-en.png');
  }, 60_000);

  it('lets IT staff add a list file, see the lines it could not use and why in both languages, and remove it', async () => {
    const listDir = tempDataDir('e2e-lists');
    dirs.push(listDir);
    const listFile = join(listDir, 'school-list.txt');
    writeFileSync(listFile, '# the school list\ncasino.e2e.test\nhttps://poker.e2e.test/play\nbad_name!.e2e.test\nbet.e2e.test\n');
    await page.getByRole('button', { name: 'Web filtering', exact: true }).click();
    const panel = page.getByTestId('list-sources');
    const form = page.getByTestId('add-list-source');
    await form.waitFor({ timeout: 10_000 });
    await form.getByRole('radio', { name: /A list file on this PC/ }).check();
    await form.getByLabel('File under category', { exact: true }).fill('gambling');

    // What can be checked here is checked here; the console checks the rest. Both say why.
    await form.getByLabel('Full path on the teacher PC', { exact: true }).fill('school-list.txt');
    await form.getByRole('button', { name: 'Add source', exact: true }).click();
    expect(await form.getByRole('alert').innerText()).toContain('Enter a full path on the teacher PC');
    await form.getByLabel('Full path on the teacher PC', { exact: true }).fill(join(listDir, 'missing.txt'));
    await form.getByRole('button', { name: 'Add source', exact: true }).click();
    await waitFor('the console refusing a missing file', 10_000, async () => (await form.getByRole('alert').innerText()).includes('was not found on the teacher PC'));

    await form.getByLabel('Full path on the teacher PC', { exact: true }).fill(listFile);
    await form.getByRole('button', { name: 'Add source', exact: true }).click();
    await form.getByTestId('list-source-added').waitFor({ timeout: 20_000 });
    expect(await form.getByRole('alert').count()).toBe(0);

    const sourcesBox = panel.locator('details.sources');
    if ((await sourcesBox.getAttribute('open')) === null) await sourcesBox.locator('summary').first().click();
    expect(await sourcesBox.locator('summary').first().innerText()).toContain('1 with bad lines');
    const row = panel.locator('tr[data-source-id="file-gambling"]');
    await waitFor('the new source with its report', 10_000, async () => (await row.count()) === 1 && (await row.innerText()).includes('2 bad lines, 0 skipped'));
    await row.getByTestId('source-problems').locator('summary').click();
    const problems = await row.getByTestId('source-problems').innerText();
    expect(problems).toContain('A web address (URL), not a domain name');
    expect(problems).toContain('The name contains characters a domain name cannot have');
    expect(problems).toContain('line 3');
    expect(problems).toContain('https://poker.e2e.test/play');
    await row.scrollIntoViewIfNeeded();
    await shot('filtering-list-problems-en.png');

    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt', exact: true }).click();
    await waitFor('the report in Vietnamese', 5_000, async () => (await row.innerText()).includes('2 dòng lỗi, 0 dòng bỏ qua'));
    const problemsVi = await row.getByTestId('source-problems').innerText();
    expect(problemsVi).toContain('Đây là địa chỉ trang web (URL), không phải tên miền');
    expect(problemsVi).toContain('dòng 4');
    await row.scrollIntoViewIfNeeded();
    await shot('filtering-list-problems-vi.png');

    await row.getByRole('button', { name: 'Bỏ nguồn file-gambling', exact: true }).click();
    await row.getByRole('button', { name: 'Bỏ hẳn nguồn này', exact: true }).click();
    await waitFor('the source gone from the table', 20_000, async () => (await row.count()) === 0);
    expect((await api.call('filtering.status', {})).sources.map((v) => v.source.id)).not.toContain('file-gambling');
  }, 90_000);

  it('shows IT staff a list the compiler had to leave out, why, and the sources that bring it, in both languages', async () => {
    const listDir = tempDataDir('e2e-left-out');
    dirs.push(listDir);
    // A block list and an allow list filed under the same category.
    writeFileSync(join(listDir, 'games.txt'), 'game-one.e2e.test\ngame-two.e2e.test\n');
    writeFileSync(join(listDir, 'games-ok.txt'), 'edu-game.e2e.test\n');
    await api.call('lists.add', { source: { type: 'file', id: 'games', path: join(listDir, 'games.txt'), category: 'games' } });
    await api.call('lists.add', { source: { type: 'file', id: 'games-ok', path: join(listDir, 'games-ok.txt'), category: 'games', kind: 'allow' } });
    const leftOut = page.getByTestId('lists-left-out');
    await waitFor('the left-out list on the lists panel', soonMs, async () => (await leftOut.count()) === 1);
    const vi = await leftOut.innerText();
    expect(vi).toContain('1 danh sách bị bỏ khỏi bộ lọc');
    expect(vi).toContain('Danh sách "games" bị bỏ qua: một danh mục không thể vừa là danh sách chặn vừa là danh sách cho phép');
    expect(vi).toContain('1 tên miền · nguồn: ut1-games, games, games-ok');
    await leftOut.scrollIntoViewIfNeeded();
    await shot('filtering-left-out-vi.png');

    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await waitFor('the left-out list in English', 5_000, async () => (await leftOut.innerText()).includes('1 list(s) left out of the filter'));
    expect(await leftOut.innerText()).toContain('List "games" left out: one category cannot be both a block list and an allow list');
    expect(await leftOut.innerText()).toContain('1 name · source: ut1-games, games, games-ok');
    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt', exact: true }).click();

    await api.call('lists.remove', { sourceId: 'games-ok' });
    await waitFor('the left-out list gone', soonMs, async () => (await leftOut.count()) === 0);
    await api.call('lists.remove', { sourceId: 'games' });
  }, 60_000);

  it('names a PC whose filter could not start, and one whose DNS setting was changed behind its filter', async (ctx) => {
    // PC-03's port is taken (by the test upstream) before its filter starts.
    await startAgent('PC-03', { listen: upstream!.port, upstream: upstream!.port });
    // PC-04 manages a resolv.conf of its own on port 53 of its own loopback address (needs root).
    const drifting = '127.0.53.4';
    withResolver = true;
    try {
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(53, drifting, () => resolve());
      });
      probe.close();
    } catch {
      withResolver = false;
    }
    const resolvConfDir = tempDataDir('e2e-resolv');
    dirs.push(resolvConfDir);
    const resolvConf = join(resolvConfDir, 'resolv.conf');
    writeFileSync(resolvConf, 'nameserver 192.168.1.1\n');
    if (withResolver) await startAgent('PC-04', { listen: `${drifting}:53`, upstream: upstream!.port, resolvConf });

    await page.getByRole('button', { name: 'Quay lại phòng máy', exact: true }).click();
    const pc3 = page.locator('[data-testid="machine-tile"]', { hasText: 'PC-03' });
    await waitFor('a warning on PC-03', soonMs, async () => (await pc3.getByTestId('filter-warning').count()) === 1);
    expect(await pc3.getByTestId('filter-warning').getAttribute('title')).toContain('Bộ lọc web trên máy này không chạy được');
    // Each reason on its own line, with the PCs it concerns.
    const problemLines = await page.getByTestId('filter-problems').locator('p').allInnerTexts();
    expect(problemLines.find((l) => l.includes('PC-03'))).toMatch(/Không lọc web: PC-03 — Bộ lọc web trên máy này không chạy được/);
    expect(problemLines.find((l) => l.includes('PC-02'))).not.toContain('PC-03');
    expect((await filterStatusOf('PC-03'))?.detail).toMatch(/EADDRINUSE/);

    // Without root (port 53 on a loopback address) the resolver-drift half cannot run: say so.
    if (!withResolver) return ctx.skip('needs root to listen on port 53');
    await waitFor('PC-04 filtering', soonMs, async () => (await filterStatusOf('PC-04'))?.state === 'applied');
    await fs.writeFile(`${resolvConf}.dhcp`, 'nameserver 192.168.1.2\n');
    await fs.rename(`${resolvConf}.dhcp`, resolvConf);
    const drift = page.getByTestId('filter-resolver-drift');
    await waitFor('the drift named in the filter bar', soonMs, async () => (await drift.count()) === 1 && (await drift.innerText()).includes('PC-04 (1 lần)'));
    expect(await drift.innerText()).toContain('DNS của máy bị đổi ra khỏi bộ lọc');
    await shot('filtering-pc-problems-vi.png');
  }, 90_000);

  it('shows a PC whose DNS firewall could not be turned on as filtering, warned that programs can go round it, apart from PCs that do not filter', async (ctx) => {
    const notRefused = await whyNftNotRefused();
    if (notRefused) {
      process.stdout.write(`skipping the firewall-refused PC: ${notRefused}\n`);
      ctx.skip();
    }
    // Its upstream is off this PC (a loopback one would be refused as a loop before the kernel is asked).
    await startAgent('PC-05', { listen: '127.0.0.1:0', upstream: '192.0.2.53:53' }, { firewallRefused: true });
    const pc5 = page.locator('[data-testid="machine-tile"]', { hasText: 'PC-05' });
    await waitFor('PC-05 filtering, with the bypass warning', soonMs, async () => (await pc5.getAttribute('data-filter')) === 'applied' && (await pc5.getByTestId('filter-bypass').count()) === 1);
    expect(await pc5.getByTestId('filter-warning').count()).toBe(0);
    expect(await pc5.getByTestId('filter-bypass').innerText()).toBe('Có thể đi vòng bộ lọc web');
    expect(await pc5.getByTestId('filter-bypass').getAttribute('title')).toMatch(/^Không bật được tường lửa DNS .*đi vòng qua bộ lọc/);
    // In the bar: on its own line, never among the PCs that do not filter; and counted as applied.
    const bypass = page.getByTestId('filter-bypassable').filter({ hasText: 'chương trình có thể đi vòng qua bộ lọc: PC-05' });
    await waitFor('PC-05 named in the filter bar', 10_000, async () => (await bypass.count()) === 1);
    expect(await bypass.innerText()).toMatch(/Đang lọc web nhưng chương trình có thể đi vòng qua bộ lọc: PC-05 — Không bật được tường lửa DNS/);
    expect(await page.getByTestId('filter-problems').innerText()).not.toContain('PC-05');
    let seen = '';
    await waitFor('PC-05 counted among the PCs the filter is applied on', soonMs, async () => {
      const statuses = (await api.call('filtering.status', { labId: lab.id })).machines;
      const applied = statuses.filter((m) => m.state === 'applied').length;
      const online = statuses.filter((m) => m.state !== 'offline').length;
      const bar = await page.getByTestId('filter-applied').innerText();
      seen = `API ${applied}/${online} (${statuses.map((m) => `${m.machineId.slice(-4)}:${m.state}${m.warning ? `/${m.warning}` : ''}`).join(' ')}); bar "${bar}"`;
      return statuses.some((m) => m.warning === 'firewall-failed' && m.state === 'applied') && bar.includes(`đang áp dụng trên ${applied}/${online} máy trực tuyến`);
    }).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${seen}`);
    });
    expect((await filterStatusOf('PC-05'))?.warning).toBe('firewall-failed');

    // Its details: filtering, what is left open, and the PC's own words.
    await page.getByRole('button', { name: 'Thông tin máy PC-05', exact: true }).click();
    const details = page.getByTestId('details-filter');
    await details.waitFor({ timeout: 5_000 });
    expect(await details.innerText()).toMatch(/^Đang lọc web — Không bật được tường lửa DNS/);
    expect(await page.getByTestId('details-filter-detail').innerText()).toMatch(/Operation not permitted/);
    await shot('filtering-firewall-refused-details-vi.png');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', timeout: 5_000 });

    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await waitFor('the bar in English', 5_000, async () => (await bypass.count()) === 0 && (await page.getByTestId('filter-bypassable').innerText()).includes('Filtering, but programs can go round the filter: PC-05'));
    expect(await pc5.getByTestId('filter-bypass').innerText()).toBe('Web filter can be bypassed');
    await shot('filtering-firewall-refused-en.png');
    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt', exact: true }).click();
    await waitFor('the bar in Vietnamese again', 5_000, async () => (await bypass.count()) === 1);
  }, 90_000);

  it('says in a PC’s details what the PC reported about its filter, and how often its DNS setting was changed', async (ctx) => {
    await page.getByRole('button', { name: 'Thông tin máy PC-03', exact: true }).click();
    const details = page.getByTestId('details-filter');
    await details.waitFor({ timeout: 5_000 });
    expect(await details.innerText()).toMatch(/^Không lọc web — Bộ lọc web trên máy này không chạy được/);
    expect(await page.getByTestId('details-filter-detail').innerText()).toMatch(/EADDRINUSE/);
    expect(await page.getByTestId('details-resolver-drift').count()).toBe(0);
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', timeout: 5_000 });

    // Without root (port 53 on a loopback address) the resolver-drift half cannot run: say so.
    if (!withResolver) return ctx.skip('needs root to listen on port 53');
    await page.getByRole('button', { name: 'Thông tin máy PC-04', exact: true }).click();
    await details.waitFor({ timeout: 5_000 });
    expect(await details.innerText()).toBe('Đang lọc web');
    expect(await page.getByTestId('details-resolver-drift').innerText()).toMatch(/^1 lần \(máy đã tự đặt lại\), lần cuối lúc \d{2}:\d{2}/);
    expect(await page.getByTestId('details-filter-detail').count()).toBe(0);
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', timeout: 5_000 });
    await page.getByRole('button', { name: 'Switch to English', exact: true }).click();
    await page.getByRole('button', { name: 'Details of PC-04', exact: true }).click();
    await details.waitFor({ timeout: 5_000 });
    expect(await details.innerText()).toBe('Filtering');
    expect(await page.getByTestId('details-resolver-drift').innerText()).toMatch(/^1× \(the PC pointed it back\), last at /);
    await shot('filtering-resolver-drift-details-en.png');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached', timeout: 5_000 });
  }, 60_000);
});
