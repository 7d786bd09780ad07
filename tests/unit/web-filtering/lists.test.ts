// The console's compiled list: built from our own lists and the configured sources, cached with its
// SHA-256 so a restart reuses the same bytes, rebuilt only when an input changed, and kept when a
// rebuild fails.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maxLeftOutListsShown, type FilterListsState } from '../../../src/shared/api/contract.js';
import type { CompileProblem } from '../../../src/shared/filtering/compile.js';
import { leftOutLists } from '../../../src/main/web-filtering/compile-lists.js';
import { listSourceSchema, type ListSource } from '../../../src/shared/filtering/list-sources.js';
import { compiledListFileName, FilterLists, inputsKey, listsFolderName, type CurrentList } from '../../../src/main/web-filtering/lists.js';

let dir: string;
let ownDir: string;
let gamblingFile: string;
let sources: ListSource[];
let built: CurrentList[];
let states: FilterListsState[];
const open: FilterLists[] = [];

const consoleDir = (): string => path.join(dir, 'console');

function lists(): FilterLists {
  const instance = new FilterLists({
    // The console's data folder beside the list files (a list inside it would be refused).
    dataDir: consoleDir(),
    ownListsDir: ownDir,
    sources: () => sources.map((source) => ({ source, origin: 'store' as const })),
    log: () => undefined,
    autoRefresh: false,
    changed: (state) => states.push(state),
    newList: (list) => built.push(list),
  });
  open.push(instance);
  return instance;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-lists-'));
  ownDir = path.join(dir, 'own');
  mkdirSync(ownDir);
  writeFileSync(path.join(ownDir, 'lesson-platforms.txt'), '# category: lesson-platforms\n# kind: allow\nolm.vn\n');
  gamblingFile = path.join(dir, 'gambling.txt');
  writeFileSync(gamblingFile, 'casino.test\n');
  sources = [
    listSourceSchema.parse({ type: 'file', id: 'school', path: gamblingFile, category: 'gambling' }),
    listSourceSchema.parse({ type: 'ut1-category', id: 'ut1-adult', category: 'adult' }),
  ];
  built = [];
  states = [];
});

afterEach(() => {
  for (const instance of open.splice(0)) instance.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the compiled list on the console', () => {
  it('compiles our lists and the sources, says what was never downloaded, and caches the blob with its SHA-256', async () => {
    const first = lists();
    await first.start();
    await first.settled();
    expect(built).toHaveLength(1);
    const list = built[0]!;
    expect(list.matcher.categoryNames).toEqual(['lesson-platforms', 'gambling']);
    expect(list.info).toMatchObject({ sha256: list.sha256, entries: 2, stats: { inputNames: 2 } });
    const onDisk = readFileSync(path.join(consoleDir(), listsFolderName, compiledListFileName));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(list.sha256);
    expect(states.at(-1)).toMatchObject({ building: false, lastError: null, autoRefresh: false, current: { sha256: list.sha256 } });
    const views = await first.sourceViews();
    expect(views.map((v) => [v.source.id, v.status.state])).toEqual([
      ['school', 'local'],
      ['ut1-adult', 'never-downloaded'],
    ]);
  });

  it('reuses the cached bytes after a restart when nothing changed, without compiling again', async () => {
    const first = lists();
    await first.start();
    await first.settled();
    const sha = built[0]!.sha256;
    first.close();

    built = [];
    const again = lists();
    await again.start();
    // In force at once, before any build could finish.
    expect(again.current?.sha256).toBe(sha);
    await again.settled();
    expect(built).toEqual([]);
  });

  it('compiles again when a source file changes or disappears', async () => {
    const instance = lists();
    await instance.start();
    await instance.settled();
    const keyBefore = await inputsKey(sources, path.join(consoleDir(), listsFolderName, 'downloads'), ownDir);

    writeFileSync(gamblingFile, 'casino.test\npoker.test\n');
    utimesSync(gamblingFile, new Date(), new Date(Date.now() + 5000));
    expect(await inputsKey(sources, path.join(consoleDir(), listsFolderName, 'downloads'), ownDir)).not.toBe(keyBefore);
    await instance.rebuild();
    expect(built).toHaveLength(2);
    expect(built[1]!.matcher.match('www.poker.test').listed).toBe(true);

    unlinkSync(gamblingFile);
    await instance.rebuild();
    expect(built).toHaveLength(3);
    expect(built[2]!.matcher.categoryNames).toEqual(['lesson-platforms']);
    expect((await instance.sourceViews())[0]!.status.state).toBe('local-missing');
  });

  it('keeps the list in force when a rebuild fails, and says why', async () => {
    const instance = lists();
    await instance.start();
    await instance.settled();
    const sha = instance.current!.sha256;
    // A packaging bug in our own lists: the compile throws.
    writeFileSync(path.join(ownDir, 'broken.txt'), 'no header here\n');
    await instance.rebuild();
    expect(instance.current?.sha256).toBe(sha);
    expect(instance.state().lastError).toMatch(/broken\.txt/);
    expect(built).toHaveLength(1);
  });

  it('downloads web lists on request (never by itself while auto refresh is off) and compiles them in', async () => {
    let served = 'ads.example.test\n';
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      sources.push(listSourceSchema.parse({ type: 'url', id: 'ads', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ads.txt`, category: 'publicite' }));
      const instance = lists();
      await instance.start();
      await instance.settled();
      expect(requests).toBe(0);
      expect((await instance.sourceViews()).find((v) => v.source.id === 'ads')?.status.state).toBe('never-downloaded');

      await instance.refreshNow();
      await instance.settled();
      expect(requests).toBe(1);
      expect((await instance.sourceViews()).find((v) => v.source.id === 'ads')?.status.state).toBe('fresh');
      expect(instance.current!.matcher.categoryNames).toContain('publicite');
      expect(instance.state().lastRefreshAt).not.toBeNull();

      // A failed download keeps the last good copy in force.
      served = '<html><body>maintenance</body></html>';
      await instance.refreshNow();
      await instance.settled();
      expect((await instance.sourceViews()).find((v) => v.source.id === 'ads')?.status.state).toBe('last-good');
      expect(instance.current!.matcher.match('ads.example.test').listed).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a list it had to leave out, with the sources that bring its category, and still has it after a restart', async () => {
    const adsFile = path.join(dir, 'ads.txt');
    const clashFile = path.join(dir, 'ads-allow.txt');
    // The @@ rule makes the allow category ads-allow; IT staff filed a block list under that very
    // name, which is reserved: that list is left out, and the adblock list's exceptions stay.
    writeFileSync(adsFile, '||tracker.ads.test^\n@@||ok.ads.test^\n');
    writeFileSync(clashFile, 'evil.test\nworse.test\nworst.test\n');
    sources = [
      listSourceSchema.parse({ type: 'file', id: 'ads', path: adsFile, category: 'ads' }),
      listSourceSchema.parse({ type: 'file', id: 'clash', path: clashFile, category: 'ads-allow' }),
    ];
    const first = lists();
    await first.start();
    await first.settled();
    const expected = { total: 1, lists: [{ kind: 'reserved-category-name', category: 'ads-allow', names: 3, sourceIds: ['clash'] }] };
    expect(built[0]!.info.leftOut).toEqual(expected);
    expect(built[0]!.matcher.match('evil.test').listed).toBe(false);
    expect(built[0]!.matcher.match('tracker.ads.test').listed).toBe(true);
    expect(built[0]!.matcher.match('ok.ads.test').listed).toBe(true);
    first.close();

    built = [];
    const again = lists();
    await again.start();
    expect(again.current?.info.leftOut).toEqual(expected);
    await again.settled();
    expect(built).toEqual([]);
  });

  it('names the UT1 copy a left-out category came from, none for SafeLab’s own lists, and carries a bounded number', () => {
    const problem = (category: string): CompileProblem => ({ kind: 'too-many-categories', messageKey: 'filtering.compile.too-many-categories', category, names: 7, detail: '' });
    const copy = listSourceSchema.parse({ type: 'ut1-folder', id: 'ut1-copy', path: '/srv/ut1' });
    const categories = Array.from({ length: maxLeftOutListsShown + 10 }, (_, i) => `c${i}`);
    const reports = categories.map((c) => ({ source: `ut1/${c}`, sourceId: 'ut1-copy', format: 'domains' as const, lines: 7, accepted: 7, duplicate: 0, bad: 0, skipped: 0, problems: {}, examples: [] }));
    const leftOut = leftOutLists([problem('doh-providers'), ...categories.map(problem)], [copy, ...sources], reports);
    expect(leftOut.total).toBe(maxLeftOutListsShown + 11);
    expect(leftOut.lists).toHaveLength(maxLeftOutListsShown);
    expect(leftOut.lists[0]).toEqual({ kind: 'too-many-categories', category: 'doh-providers', names: 7, sourceIds: [] });
    expect(leftOut.lists[1]).toEqual({ kind: 'too-many-categories', category: 'c0', names: 7, sourceIds: ['ut1-copy'] });
    // A file source brings its own category and the allow exceptions of its block list.
    expect(leftOutLists([problem('gambling-allow')], sources, []).lists[0]!.sourceIds).toEqual(['school']);
  });
});
