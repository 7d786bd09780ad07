// List sources added and removed by IT staff, with a real console process: through the API and the
// IT command line (`lists add …`, `lists remove …`, `lists`), each kind of source, the refusals a
// person can meet (in Vietnamese and English), and the lines a list could not use — counted per
// reason with the first lines and their numbers — carried through the API and printed by `lists`
// (a file that is mostly bad lines is no list: only its counts and reasons come back).
// The command line's OS account is recorded as who did it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxProblemExamplesPerSource, type FilterListInfo } from '../../../src/shared/api/contract.js';
import { openStore } from '../../../src/main/store/index.js';
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

async function cli(...args: string[]): Promise<{ code: number | string; out: string; err: string }> {
  const child = spawnTracked(process.execPath, [builtFile('main/cli.js'), '--data-dir', consoleDir, ...args], {
    cwd: listsDir,
    env: { ...process.env, SAFELAB_DATA_DIR: '' },
  });
  const out = new LineLog(child.stdout);
  const err = new LineLog(child.stderr);
  const code = await withTimeout(exited(child), 30_000, `safelab cli ${args.join(' ')}`);
  return { code, out: out.text(), err: err.text() };
}

async function reportsOf(sourceId: string): Promise<FilterListInfo['reports']> {
  return (await console_.api.call('filtering.status', {})).lists.current?.reports.filter((r) => r.sourceId === sourceId) ?? [];
}

async function refusal(promise: Promise<unknown>): Promise<HttpApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpApiError);
  return error as HttpApiError;
}

beforeAll(async () => {
  assertFilteringBuilt();
  dataDir = tempDataDir('list-sources');
  consoleDir = path.join(dataDir, 'console');
  listsDir = path.join(dataDir, 'lists');
  mkdirSync(listsDir, { recursive: true });
  // A school list with one of each common mistake among more good lines.
  writeFileSync(
    path.join(listsDir, 'school.txt'),
    [
      '# the school list',
      'casino.test',
      'https://poker.test/play', // a URL, not a name
      'bad_name!.test', // characters a name cannot have
      '192.0.2.7', // an address
      '*.ads.test', // a wildcard
      'com', // a whole top-level domain
      'bet.test',
      'slots.test',
      'lottery.test',
      'roulette.test',
      'jackpot.test',
    ].join('\n') + '\n',
  );
  // Far more bad lines than a source carries examples of, in a list that is still mostly good.
  writeFileSync(
    path.join(listsDir, 'long.txt'),
    Array.from({ length: 130 }, (_, i) => (i % 4 === 3 ? `bad name ${i}` : `site-${i}.test`)).join('\n') + '\n',
  );
  // Nothing but bad lines.
  writeFileSync(path.join(listsDir, 'junk.txt'), Array.from({ length: 100 }, (_, i) => `not a name ${i}`).join('\n') + '\n');
  const ut1 = path.join(listsDir, 'ut1', 'gambling');
  mkdirSync(ut1, { recursive: true });
  writeFileSync(path.join(ut1, 'domains'), 'lottery.test\nbad name.test\n');
  console_ = await startConsoleProcess({ dataDir: consoleDir });
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  removeDir(dataDir);
});

describe('list sources from the IT command line and the API', { timeout: 60_000 }, () => {
  it('adds a local list with `lists add file`, and `lists` shows the lines it could not use, why, and where', async () => {
    // A relative path is taken from where the command runs: the console may run elsewhere.
    const added = await cli('lists', 'add', 'file', 'school.txt', '--category', 'gambling');
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain('file-gambling added (local)');
    expect(added.out).toContain('5 bad line(s)');

    const reports = await reportsOf('file-gambling');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      source: path.join(listsDir, 'school.txt'),
      sourceId: 'file-gambling',
      accepted: 6,
      bad: 5,
      problems: { url: 1, 'bad-character': 1, 'ip-address': 1, wildcard: 1, 'single-label': 1 },
    });
    expect(reports[0]!.examples).toEqual([
      { line: 3, problem: 'url', text: 'https://poker.test/play' },
      { line: 4, problem: 'bad-character', text: 'bad_name!.test' },
      { line: 5, problem: 'ip-address', text: '192.0.2.7' },
      { line: 6, problem: 'wildcard', text: '*.ads.test' },
      { line: 7, problem: 'single-label', text: 'com' },
    ]);

    const listed = await cli('lists');
    expect(listed.code).toBe(0);
    const block = listed.out.slice(listed.out.indexOf('file-gambling'));
    expect(block).toMatch(/1 +url +A web address \(URL\), not a domain name/);
    expect(block).toMatch(/1 +ip-address +An IP address, not a name/);
    expect(block).toContain('line 3  url  "https://poker.test/play"');
    expect(block).toContain('line 7  single-label  "com"');
  });

  it('carries a bounded sample of the bad lines of a long list', async () => {
    const added = await cli('lists', 'add', 'file', path.join(listsDir, 'long.txt'), '--category', 'long', '--id', 'long');
    expect(added.code, added.err).toBe(0);
    const [report] = await reportsOf('long');
    expect(report).toMatchObject({ accepted: 98, bad: 32, lines: 130 });
    expect(report!.examples).toHaveLength(maxProblemExamplesPerSource);
    expect(report!.examples[0]).toEqual({ line: 4, problem: 'bad-character', text: 'bad name 3' });
    const listed = await cli('lists');
    expect(listed.out.slice(listed.out.indexOf('long'))).toContain('(15 more examples in --json)');
    expect((await cli('lists', 'remove', 'long')).code).toBe(0);
  });

  it('keeps a list with no usable line visible with its counts and reasons, quoting none of its lines', async () => {
    const added = await cli('lists', 'add', 'file', path.join(listsDir, 'junk.txt'), '--category', 'junk', '--id', 'junk');
    expect(added.code, added.err).toBe(0);
    const [report] = await reportsOf('junk');
    expect(report).toMatchObject({ accepted: 0, bad: 100, lines: 100 });
    expect(Object.values(report!.problems).reduce((a, b) => a + b, 0)).toBe(100);
    // Mostly bad lines: whatever this file is, it is no list, and none of it is repeated back.
    expect(report!.examples).toEqual([]);
    // Nothing usable: the category is not filtered, and the lab's status says so.
    const status = await console_.api.call('filtering.status', {});
    expect(status.lists.current?.categories.map((c) => c.name)).not.toContain('junk');
    const listed = await cli('lists');
    const block = listed.out.slice(listed.out.indexOf('junk'));
    expect(block).toMatch(/100 bad line\(s\)/);
    expect(listed.out).not.toMatch(/not a name \d/);
  });

  it('adds the other kinds: a UT1 category, a UT1 copy on disk, a list on the web', async () => {
    // A fresh console already has the UT1 categories its presets block: adding one again is refused.
    const seeded = await cli('lists', 'add', 'ut1', 'gambling');
    expect(seeded.code).toBe(3);
    expect(seeded.err).toContain('This list is already configured as source "ut1-gambling".');
    const ut1 = await cli('lists', 'add', 'ut1', 'cooking');
    expect(ut1.code, ut1.err).toBe(0);
    expect(ut1.out).toContain('ut1-cooking added (never-downloaded): https://dsi.ut-capitole.fr/blacklists/download/cooking.tar.gz');
    expect(ut1.out).toContain('not downloaded yet');

    const copy = await cli('lists', 'add', 'ut1-copy', 'ut1', '--categories', 'gambling');
    expect(copy.code, copy.err).toBe(0);
    const copyId = /^(\S+) added/m.exec(copy.out)![1]!;
    expect(copyId).toBe('ut1-copy-ut1');
    expect((await reportsOf(copyId))[0]).toMatchObject({ source: 'ut1/gambling', accepted: 1, bad: 1, problems: { 'bad-character': 1 } });

    const web = await cli('lists', 'add', 'url', 'https://lists.school.test/social.txt', '--category', 'social_networks', '--format', 'domains');
    expect(web.code, web.err).toBe(0);
    const sources = (await console_.api.call('filtering.status', {})).sources;
    expect(sources.find((s) => s.source.id === 'url-social_networks')).toMatchObject({
      source: { type: 'url', url: 'https://lists.school.test/social.txt', category: 'social_networks', kind: 'block', format: 'domains' },
      status: { state: 'never-downloaded' },
    });
  });

  it('refuses what cannot work, saying why in both languages', async () => {
    const noCategory = await cli('lists', 'add', 'file', 'school.txt');
    expect(noCategory.code).toBe(64);
    expect(noCategory.err).toMatch(/--category/);

    const missing = await cli('lists', 'add', 'file', 'no-such-file.txt', '--category', 'games');
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/Không tìm thấy ".*no-such-file\.txt" trên máy giáo viên/);
    expect(missing.err).toMatch(/".*no-such-file\.txt" was not found on the teacher PC/);

    const twice = await cli('lists', 'add', 'file', 'school.txt', '--category', 'games');
    expect(twice.code).toBe(3);
    expect(twice.err).toContain('This list is already configured as source "file-gambling".');

    mkdirSync(path.join(listsDir, 'a-folder'), { recursive: true });
    const folderAsFile = await cli('lists', 'add', 'file', 'a-folder', '--category', 'games');
    expect(folderAsFile.code).toBe(3);
    expect(folderAsFile.err).toMatch(/is a folder; a file is needed here/);

    const badKind = await cli('lists', 'add', 'url', 'https://x.test/a.txt', '--category', 'games', '--kind', 'maybe');
    expect(badKind.code).toBe(64);
    expect(badKind.err).toMatch(/--kind must be one of block, allow/);

    const relative = await refusal(console_.api.call('lists.add', { source: { type: 'file', id: 'rel', path: 'school.txt', category: 'games' } }));
    expect(relative.body).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/đường dẫn đầy đủ/), messageEn: expect.stringMatching(/must be a full path/) });
    writeFileSync(path.join(listsDir, 'plain.txt'), 'x.test\n');
    const fileAsFolder = await refusal(console_.api.call('lists.add', { source: { type: 'ut1-folder', id: 'f', path: path.join(listsDir, 'plain.txt') } }));
    expect(fileAsFolder.body.messageEn).toMatch(/needs a folder/);
    const sameId = await refusal(console_.api.call('lists.add', { source: { type: 'ut1-category', id: 'junk', category: 'games' } }));
    expect(sameId.body).toMatchObject({ code: 'conflict', messageEn: expect.stringMatching(/already a list source "junk"/) });
    const badUrl = await refusal(console_.api.call('lists.add', { source: { type: 'url', id: 'u', url: 'ftp://x.test/list', category: 'games' } }));
    expect(badUrl.body.code).toBe('bad-request');
  });

  it('removes a source with `lists remove`, its report goes with it, and an unknown id is refused', async () => {
    const removed = await cli('lists', 'remove', 'junk');
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toContain('junk removed');
    expect(await reportsOf('junk')).toEqual([]);
    expect((await console_.api.call('filtering.status', {})).sources.map((s) => s.source.id)).not.toContain('junk');

    const again = await cli('lists', 'remove', 'junk');
    expect(again.code).toBe(3);
    expect(again.err).toContain('There is no list source "junk".');
    expect(again.err).toContain('Không có nguồn danh sách "junk".');
  });

  it('shows a list the compiler had to leave out, why and which sources bring it, through the API, `lists add` and `lists`', async () => {
    // A block list and an allow list IT staff filed under the same category.
    writeFileSync(path.join(listsDir, 'games.txt'), 'game-one.test\ngame-two.test\n');
    writeFileSync(path.join(listsDir, 'games-ok.txt'), 'edu-game.test\n');
    expect((await cli('lists', 'add', 'file', 'games.txt', '--category', 'games', '--id', 'games')).code).toBe(0);
    const added = await cli('lists', 'add', 'file', 'games-ok.txt', '--category', 'games', '--kind', 'allow', '--id', 'games-ok');
    expect(added.code, added.err).toBe(0);
    expect(added.out).toMatch(/left out: +1 list\(s\), their names filter nothing:/);
    expect(added.out).toMatch(/kind-conflict +List "games" left out: one category cannot be both a block list and an allow list \(1 name; source ut1-games, games, games-ok\)/);

    const current = (await console_.api.call('filtering.status', {})).lists.current!;
    // The allow list is left out, never turned into a block list; the sources named are every one
    // that brings the category (UT1's games list too, once downloaded).
    expect(current.leftOut).toEqual({ total: 1, lists: [{ kind: 'kind-conflict', category: 'games', names: 1, sourceIds: ['ut1-games', 'games', 'games-ok'] }] });
    expect(current.categories.find((c) => c.name === 'games')?.kind).toBe('block');
    const check = await console_.api.call('filtering.check', { labId: null, name: 'edu-game.test' });
    expect(check.verdict).not.toBe('block');
    expect((await console_.api.call('filtering.check', { labId: null, name: 'game-one.test' })).verdict).toBe('block');

    const listed = await cli('lists');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/left out: +1 list\(s\)/);
    expect(listed.out).toContain('List "games" left out');

    // Removing the clashing source clears it.
    expect((await cli('lists', 'remove', 'games-ok')).code).toBe(0);
    expect((await console_.api.call('filtering.status', {})).lists.current!.leftOut).toEqual({ total: 0, lists: [] });
    expect((await cli('lists')).out).not.toContain('left out');
    expect((await cli('lists', 'remove', 'games')).code).toBe(0);
  });

  it('records the command line and its OS account as who changed the sources', async () => {
    expect(await console_.stop()).toBe(0);
    const store = openStore(consoleDir);
    try {
      const entries = store.audit.recentAudit(100).filter((e) => e.action === 'lists.sourceAdded' || e.action === 'lists.sourceRemoved');
      expect(entries.length).toBeGreaterThanOrEqual(5);
      expect(new Set(entries.map((e) => e.actor))).toEqual(new Set([`cli:${userInfo().username}`]));
      // Refused adds left no trace.
      expect(entries.filter((e) => e.action === 'lists.sourceAdded').map((e) => e.target).sort()).toEqual(['file-gambling', 'games', 'games-ok', 'junk', 'long', 'url-social_networks', 'ut1-cooking', 'ut1-copy-ut1']);
    } finally {
      store.close();
    }
  });
});
