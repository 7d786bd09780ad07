// A list source names a path on the console PC, and whoever holds the API token chooses it: the
// console reads only lists. With a real console process: the console's own data folder (its private
// key, access token, database), system places, keys and certificates by name and by content, pipes
// and devices, and oversized files are refused when added, in Vietnamese and English; a file that
// does not look like a list is reported by counts and reasons only, never quoting a line; and a
// source that later turns into a link to a key, or into the console's own data folder, is refused
// when read.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxLocalListBytes } from '../../../src/main/filtering/local-files.js';
import { privateKeyFileName } from '../../../src/main/certificate.js';
import type { FilterListInfo } from '../../../src/shared/api/contract.js';
import type { ListSourceInput } from '../../../src/shared/filtering/list-sources.js';
import { HttpApiError } from '../helpers/console-api.js';
import { removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { builtFile } from '../helpers/paths.js';
import { exited, spawnTracked, stopAllChildren } from '../helpers/processes.js';
import { LineLog, withTimeout } from '../helpers/wait.js';
import { assertFilteringBuilt } from './filtering-helpers.js';

let dataDir: string;
let consoleDir: string;
let listsDir: string;
let console_: ConsoleProcess;

const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';

/** The refusal an add meets; fails the test if the add was taken. */
async function refusedAdd(source: ListSourceInput): Promise<{ message: string; messageEn: string }> {
  const error = await withTimeout(
    console_.api.call('lists.add', { source }).then(
      () => null,
      (e: unknown) => e,
    ),
    10_000,
    `the console to answer lists.add ${JSON.stringify(source)}`,
  );
  expect(error, `${JSON.stringify(source)} was taken`).toBeInstanceOf(HttpApiError);
  const body = (error as HttpApiError).body;
  expect(body.code).toBe('bad-request');
  return { message: body.message, messageEn: body.messageEn ?? '' };
}

const file = (id: string, filePath: string): ListSourceInput => ({ type: 'file', id, path: filePath, category: 'games' });

async function reportsOf(sourceId: string): Promise<FilterListInfo['reports']> {
  return (await console_.api.call('filtering.status', {})).lists.current?.reports.filter((r) => r.sourceId === sourceId) ?? [];
}

async function cliLists(): Promise<string> {
  const child = spawnTracked(process.execPath, [builtFile('main/cli.js'), '--data-dir', consoleDir, 'lists', '--json'], { env: { ...process.env, SAFELAB_DATA_DIR: '' } });
  const out = new LineLog(child.stdout, child.stderr);
  expect(await withTimeout(exited(child), 30_000, 'safelab cli lists --json')).toBe(0);
  return out.text();
}

beforeAll(async () => {
  assertFilteringBuilt();
  dataDir = tempDataDir('list-refusals');
  consoleDir = path.join(dataDir, 'console');
  listsDir = path.join(dataDir, 'lists');
  mkdirSync(listsDir, { recursive: true });
  console_ = await startConsoleProcess({ dataDir: consoleDir });
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  removeDir(dataDir);
});

describe('list sources that are not lists', { timeout: 60_000 }, () => {
  it('refuses the console’s own data folder: its private key, its access token, its database, the folder itself', async () => {
    const keyFile = path.join(consoleDir, privateKeyFileName);
    expect(readFileSync(keyFile, 'utf8')).toContain('PRIVATE KEY');
    for (const target of [keyFile, path.join(consoleDir, 'console.json'), path.join(consoleDir, 'safelab.sqlite')]) {
      const refusal = await refusedAdd(file('in-data', target));
      expect(refusal.message).toContain(`"${target}" nằm trong thư mục dữ liệu của bảng điều khiển`);
      expect(refusal.messageEn).toContain(`"${target}" is inside the console’s data folder (keys, access token, database); it cannot be a list.`);
    }
    expect((await refusedAdd({ type: 'ut1-folder', id: 'in-data', path: consoleDir })).messageEn).toMatch(/inside the console’s data folder/);
    // Through a link from elsewhere, too.
    const link = path.join(listsDir, 'innocent.txt');
    symlinkSync(keyFile, link);
    expect((await refusedAdd(file('in-data', link))).messageEn).toContain(`"${link}" is inside the console’s data folder`);
  });

  it('refuses system places', async () => {
    for (const target of ['/etc/shadow', '/proc/self/environ', '/sys/kernel/uevent_seqnum', '/dev/zero']) {
      const refusal = await refusedAdd(file('system', target));
      expect(refusal.message).toContain(`"${target}" là nơi của hệ thống`);
      expect(refusal.messageEn).toContain(`"${target}" is a system place (such as /proc, /sys, /dev, /etc/shadow, SSH settings), not a list`);
    }
    expect((await refusedAdd({ type: 'ut1-tarball', id: 'system', path: '/dev/zero' })).messageEn).toMatch(/is a system place/);
    expect((await refusedAdd({ type: 'ut1-folder', id: 'system', path: '/proc' })).messageEn).toMatch(/is a system place/);
  });

  it('refuses private keys and certificates, by name and by what they hold', async () => {
    const byName = path.join(listsDir, 'school.pem');
    writeFileSync(byName, 'casino.test\n');
    const sshDir = path.join(listsDir, '.ssh');
    mkdirSync(sshDir);
    writeFileSync(path.join(sshDir, 'known_hosts'), 'casino.test\n');
    const byContent = path.join(listsDir, 'allow.txt');
    writeFileSync(byContent, pem);
    for (const target of [byName, path.join(sshDir, 'known_hosts'), byContent]) {
      const refusal = await refusedAdd(file('key', target));
      expect(refusal.message).toContain(`"${target}" là khoá bí mật hoặc chứng chỉ`);
      expect(refusal.messageEn).toContain(`"${target}" is a private key or certificate, not a list; it is not read here.`);
    }
  });

  it('refuses a pipe at once instead of waiting on it for ever', async () => {
    const fifo = path.join(listsDir, 'pipe.txt');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const refusal = await refusedAdd(file('pipe', fifo));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(refusal.message).toContain(`"${fifo}" không phải tệp thông thường`);
    expect(refusal.messageEn).toContain(`"${fifo}" is not a regular file (a pipe, device or socket); a list file is needed here.`);
    // The console still answers.
    expect((await console_.api.call('labs.list', {})).length).toBeGreaterThan(0);
  });

  it('refuses a file over the size limit without reading it', async () => {
    const huge = path.join(listsDir, 'huge.txt');
    writeFileSync(huge, '');
    truncateSync(huge, maxLocalListBytes + 1); // sparse: takes no disk
    const refusal = await refusedAdd(file('huge', huge));
    expect(refusal.message).toContain(`"${huge}" lớn 257 MB, vượt giới hạn 256 MB cho một danh sách.`);
    expect(refusal.messageEn).toContain(`"${huge}" is 257 MB, over the 256 MB limit for a list.`);
  });

  it('reports a file that is not a list by counts and reasons only, never quoting a line', async () => {
    const settings = path.join(listsDir, 'settings.txt');
    writeFileSync(settings, ['# app settings', 'db_password=hunter2-secret', 'admin token: 4f9a1c77', 'casino.test', 'smtp_pass = correct horse battery'].join('\n') + '\n');
    await console_.api.call('lists.add', { source: file('settings', settings) });
    const [report] = await reportsOf('settings');
    expect(report).toMatchObject({ accepted: 1, bad: 3, examples: [] });
    expect(Object.values(report!.problems).reduce((a, b) => a + b, 0)).toBe(3);
    const printed = await cliLists();
    for (const secret of ['hunter2', '4f9a1c77', 'correct horse']) expect(printed).not.toContain(secret);

    // A key block past the part checked when adding: the rest is a list, but no line is quoted.
    const padded = path.join(listsDir, 'padded.txt');
    writeFileSync(padded, Array.from({ length: 6000 }, (_, i) => `site-${i}.test`).join('\n') + '\n' + pem);
    await console_.api.call('lists.add', { source: file('padded', padded) });
    const [paddedReport] = await reportsOf('padded');
    expect(paddedReport).toMatchObject({ accepted: 6000, examples: [] });
    expect(paddedReport!.bad).toBeGreaterThan(0);
    expect(JSON.stringify(await console_.api.call('filtering.status', {}))).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
  });

  it('still quotes the bad lines of a real list', async () => {
    const school = path.join(listsDir, 'school.txt');
    writeFileSync(school, ['casino.test', 'bet.test', 'poker.test', 'https://slots.test/play', 'lottery.test'].join('\n') + '\n');
    await console_.api.call('lists.add', { source: file('school', school) });
    const [report] = await reportsOf('school');
    expect(report).toMatchObject({ accepted: 4, bad: 1, examples: [{ line: 4, problem: 'url', text: 'https://slots.test/play' }] });
  });

  it('refuses to read a source that became a link to a key after it was added, and says so', async () => {
    const later = path.join(listsDir, 'later.txt');
    writeFileSync(later, 'casino.test\nbet.test\n');
    await console_.api.call('lists.add', { source: file('later', later) });
    expect(await reportsOf('later')).toHaveLength(1);

    rmSync(later);
    symlinkSync(path.join(consoleDir, privateKeyFileName), path.join(listsDir, 'key-link.pem'));
    symlinkSync(path.join(listsDir, 'key-link.pem'), later);
    // Any change of sources rebuilds the list, reading every source again.
    const other = path.join(listsDir, 'other.txt');
    writeFileSync(other, 'other.test\n');
    await console_.api.call('lists.add', { source: file('other', other) });
    expect(await reportsOf('later')).toEqual([]);
    const status = await console_.api.call('filtering.status', {});
    expect(status.sources.find((s) => s.source.id === 'later')?.status).toMatchObject({
      state: 'local',
      lastError: { code: 'not-a-list', messageKey: 'filtering.source.localRefused' },
    });
    expect(JSON.stringify(status)).not.toContain('PRIVATE KEY');
  });

  it('refuses to read a source that became a link into the console’s data folder after it was added (its access token file)', async () => {
    const token = (JSON.parse(readFileSync(path.join(consoleDir, 'console.json'), 'utf8')) as { token: string }).token;
    const drifted = path.join(listsDir, 'drifted.txt');
    writeFileSync(drifted, 'casino2.test\n');
    await console_.api.call('lists.add', { source: file('drifted', drifted) });
    expect(await reportsOf('drifted')).toHaveLength(1);

    rmSync(drifted);
    symlinkSync(path.join(consoleDir, 'console.json'), drifted);
    const another = path.join(listsDir, 'another.txt');
    writeFileSync(another, 'another.test\n');
    await console_.api.call('lists.add', { source: file('another', another) });
    expect(await reportsOf('drifted')).toEqual([]);
    const status = await console_.api.call('filtering.status', {});
    expect(status.sources.find((s) => s.source.id === 'drifted')?.status).toMatchObject({
      state: 'local',
      lastError: { code: 'not-a-list', messageKey: 'filtering.source.localRefused', detail: expect.stringMatching(/data-dir$/) },
    });
    expect(JSON.stringify(status)).not.toContain(token);
  });
});
