// The list in force on a PC: verified before it takes over, swapped in one step, saved durably,
// reloaded at start; a corrupted list or profile never replaces a good one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ActiveFilterError, MatcherStore } from '../../../src/agent/dns/matcher-store.js';
import { FilterListError } from '../../../src/shared/filtering/errors.js';
import { compileTestList, lessonProfile, schoolProfile } from './lists.js';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'safelab-store-'));
});

afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function verdict(store: MatcherStore, name: string): string {
  const policy = store.policy!;
  return policy.decide(policy.match(name));
}

describe('matcher store', () => {
  it('starts with nothing in force, then installs, saves and reloads a list after a restart', async () => {
    const store = new MatcherStore({ dataDir });
    expect(await store.loadLastGood()).toBe('none');
    expect(store.policy).toBeNull();
    const result = await store.install(compileTestList(), schoolProfile());
    expect(result.persisted).toBe(true);
    expect(result.info).toMatchObject({ profileId: 'thcs', mode: 'filtered', missingCategories: [] });
    expect(verdict(store, 'porn.test')).toBe('block');
    const restarted = new MatcherStore({ dataDir });
    expect(await restarted.loadLastGood()).toBe('loaded');
    expect(restarted.info?.listChecksum).toBe(result.info.listChecksum);
    expect(verdict(restarted, 'www.porn.test')).toBe('block');
    expect(verdict(restarted, 'olm.vn')).toBe('allow');
  });

  it('rejects a corrupted list and keeps the old one in force and on disk', async () => {
    const store = new MatcherStore({ dataDir });
    await store.install(compileTestList(), schoolProfile());
    const before = store.policy;
    const savedBefore = await fs.readFile(store.savedFilePath);
    const damaged = compileTestList(['new-adult.test']);
    damaged[damaged.length - 3] ^= 0x40;
    const err = await store.install(damaged, schoolProfile()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FilterListError);
    expect((err as FilterListError).code).toBe('checksum');
    expect(store.policy).toBe(before);
    expect(verdict(store, 'new-adult.test')).toBe('pass');
    expect((await fs.readFile(store.savedFilePath)).equals(savedBefore)).toBe(true);
    const truncated = compileTestList().subarray(0, 100);
    expect(((await store.install(truncated, schoolProfile()).catch((e: unknown) => e)) as FilterListError).code).toBe('truncated');
  });

  it('rejects a profile that fails the schema without touching the list in force', async () => {
    const store = new MatcherStore({ dataDir });
    await store.install(compileTestList(), schoolProfile());
    const before = store.policy;
    const bad = { ...schoolProfile(), mode: 'open' } as unknown as ReturnType<typeof schoolProfile>;
    const err = await store.install(compileTestList(), bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActiveFilterError);
    expect((err as ActiveFilterError).code).toBe('profile-invalid');
    expect(store.policy).toBe(before);
  });

  it('switches profile over the same list (lesson start and end) and remembers it across restarts', async () => {
    const store = new MatcherStore({ dataDir });
    expect(((await store.setProfile(lessonProfile()).catch((e: unknown) => e)) as ActiveFilterError).code).toBe('profile-invalid');
    await store.install(compileTestList(), schoolProfile());
    const listBefore = store.policy!.matcher;
    await store.setProfile(lessonProfile());
    expect(store.policy!.matcher).toBe(listBefore);
    expect(verdict(store, 'news.example')).toBe('block');
    const restarted = new MatcherStore({ dataDir });
    await restarted.loadLastGood();
    expect(restarted.info?.profileId).toBe('lesson-1');
    expect(verdict(restarted, 'lesson-site.test')).toBe('allow');
  });

  it('reports a damaged saved file at start and enforces nothing it cannot verify', async () => {
    const store = new MatcherStore({ dataDir });
    await store.install(compileTestList(), schoolProfile());
    const file = await fs.readFile(store.savedFilePath);
    file[file.length - 1] ^= 0xff;
    await fs.writeFile(store.savedFilePath, file);
    const restarted = new MatcherStore({ dataDir });
    expect(await restarted.loadLastGood()).toBe('corrupt');
    expect(restarted.policy).toBeNull();
    await fs.writeFile(store.savedFilePath, 'SLAF\x01\x00\x00\x00\xff\xff\xff\x00');
    expect(await new MatcherStore({ dataDir }).loadLastGood()).toBe('corrupt');
  });

  it('tells a list saved by another SafeLab version (another blob format) from a damaged one, and leaves it for IT to see', async () => {
    const store = new MatcherStore({ dataDir });
    await store.install(compileTestList(), schoolProfile());
    const file = await fs.readFile(store.savedFilePath);
    // The blob starts 8-aligned after the 12-byte header and the profile JSON; its version is at +4.
    const blobAt = (12 + file.readUInt32LE(8) + 7) & ~7;
    file.writeUInt16LE(1, blobAt + 4);
    await fs.writeFile(store.savedFilePath, file);
    const lines: string[] = [];
    const restarted = new MatcherStore({ dataDir, log: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`) });
    expect(await restarted.loadLastGood()).toBe('unsupported');
    expect(restarted.policy).toBeNull();
    expect(lines).toEqual([expect.stringMatching(/^filter-saved-unsupported .*"code":"version".*format version 1, this build reads 2/)]);
    expect((await fs.readFile(store.savedFilePath)).equals(file)).toBe(true);
    // The same for a saved-file layout of another version.
    file.writeUInt16LE(7, 4);
    await fs.writeFile(store.savedFilePath, file);
    expect(await new MatcherStore({ dataDir }).loadLastGood()).toBe('unsupported');
    // The console's list replaces it.
    expect((await restarted.install(compileTestList(), schoolProfile())).persisted).toBe(true);
    expect(await new MatcherStore({ dataDir }).loadLastGood()).toBe('loaded');
  });

  it('keeps answering from the old rules for a query decided before a swap', async () => {
    const store = new MatcherStore({ dataDir });
    await store.install(compileTestList(), schoolProfile());
    const inFlight = store.policy!;
    const installing = store.install(compileTestList(['late.test']), schoolProfile());
    // The swap happens synchronously inside install (before the save): the old object is untouched.
    await installing;
    expect(inFlight.decide(inFlight.match('late.test'))).toBe('pass');
    expect(verdict(store, 'late.test')).toBe('block');
  });
});
