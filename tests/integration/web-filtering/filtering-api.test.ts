// The web-filtering API of a real console (in-process, real SQLite file, no agents needed): a UT1
// folder given by SAFELAB_LISTS_DIR, IT staff making and removing profiles, and the refusals a
// teacher or IT staff can meet, each in Vietnamese and English.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, FilterProfileBody } from '../../../src/shared/api/contract.js';
import { presetProfile } from '../../../src/shared/filtering/presets.js';
import { ApiError } from '../../../src/main/api/errors.js';
import { listsDirEnvVar } from '../../../src/main/console.js';
import { startTestConsole, type TestConsole } from '../helpers/in-process-console.js';

let dir: string;
let console_: TestConsole;
let labId: string;

function body(base = presetProfile('thpt')): FilterProfileBody {
  const { id: _id, floors: _floors, ...rest } = base;
  return rest;
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'safelab-filtering-api-'));
  const ut1 = path.join(dir, 'ut1');
  mkdirSync(path.join(ut1, 'gambling'), { recursive: true });
  mkdirSync(path.join(ut1, 'social_networks'), { recursive: true });
  writeFileSync(path.join(ut1, 'gambling', 'domains'), 'casino.test\nbet.test\n');
  writeFileSync(path.join(ut1, 'social_networks', 'domains'), 'friends.test\n');
  const before = process.env[listsDirEnvVar];
  process.env[listsDirEnvVar] = ut1;
  try {
    console_ = await startTestConsole({ dataDir: path.join(dir, 'console') });
  } finally {
    if (before === undefined) delete process.env[listsDirEnvVar];
    else process.env[listsDirEnvVar] = before;
  }
  labId = (await console_.runtime.api.call('labs.list', {}))[0]!.id;
});

afterAll(async () => {
  await console_?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web-filtering API', () => {
  it('filters with a local UT1 folder named by SAFELAB_LISTS_DIR and says where it came from', async () => {
    const { api } = console_.runtime;
    let status = await api.call('filtering.status', {});
    for (let i = 0; i < 100 && (status.lists.current === null || status.lists.building); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await api.call('filtering.status', {});
    }
    expect(status.sources.find((s) => s.origin === 'environment')).toMatchObject({
      source: { type: 'ut1-folder', id: 'ut1-local', path: path.join(dir, 'ut1') },
      status: { state: 'local', thirdParty: true },
    });
    expect(status.lists.current?.categories.map((c) => c.name)).toEqual(expect.arrayContaining(['gambling', 'social_networks']));
    expect(status.labs[0]!.missingCategories).not.toContain('social_networks');
    expect(status.labs[0]!.missingCategories).toContain('adult');
    expect(await api.call('filtering.check', { labId, name: 'm.friends.test' })).toMatchObject({ verdict: 'block', category: 'social_networks' });
    // Not on the lesson-platforms list (it is Google Search), passed and forced to SafeSearch.
    expect(await api.call('filtering.check', { labId: null, name: 'www.google.com' })).toMatchObject({ verdict: 'pass', safeSearchTarget: 'forcesafesearch.google.com' });
    // The folder belongs to this run, not to the stored configuration: it cannot be removed from here.
    const fromRun = await refusal(api.call('lists.remove', { sourceId: 'ut1-local' }));
    expect(fromRun.body).toMatchObject({ code: 'conflict', messageEn: expect.stringMatching(/turned on when the console started/) });
    const taken = await refusal(api.call('lists.add', { source: { type: 'ut1-folder', id: 'ut1-local', path: '/tmp' } }));
    expect(taken.body).toMatchObject({ code: 'conflict' });
  });

  it('lets IT staff make a profile, use it as a lab baseline, and remove it once nothing uses it', async () => {
    const { api } = console_.runtime;
    const from = console_.events.events.length;
    const created = await api.call('profiles.create', { profile: { ...body(), name: 'THPT không mạng xã hội', blockedCategories: [...body().blockedCategories, 'social_networks'] } });
    // The teacher UI acts as the OS account running the console (there are no user logins yet).
    expect(created).toMatchObject({ builtIn: false, updatedBy: `teacher:${userInfo().username}`, profile: { name: 'THPT không mạng xã hội', ageBand: 'thpt' } });
    expect(created.profile.id).toMatch(/^profile-[0-9a-f]{16}$/);
    await console_.events.waitFor((e) => e.type === 'profile.updated' && e.profile.profile.id === created.profile.id, 2000, 'profile.updated', from);

    const change = await api.call('labs.setBaselineProfile', { labId, profileId: created.profile.id });
    expect(change.lab).toMatchObject({ baselineProfileId: created.profile.id, effective: { id: created.profile.id } });
    expect(change.machines).toEqual([]);

    const inUse = await refusal(api.call('profiles.remove', { profileId: created.profile.id }));
    expect(inUse.body.code).toBe('conflict');
    expect(inUse.body.messageEn).toMatch(/is in use \(Phòng máy 1\)/);
    const preset = await refusal(api.call('profiles.remove', { profileId: 'preset-thcs' }));
    expect(preset.body.message).toMatch(/không xoá được/);

    await api.call('labs.setBaselineProfile', { labId, profileId: 'preset-thcs' });
    expect(await api.call('profiles.remove', { profileId: created.profile.id })).toEqual({ removed: true });
    await console_.events.waitFor<Extract<ApiEvent, { type: 'profile.removed' }>>((e) => e.type === 'profile.removed', 2000, 'profile.removed', from);
    const { profiles } = await api.call('profiles.list', {});
    expect(profiles.map((p) => p.profile.id)).toEqual(['preset-tieu-hoc', 'preset-thcs', 'preset-thpt', 'lesson-allowlist']);
  });

  it('answers what cannot be done with a message a teacher understands, in both languages', async () => {
    const { api } = console_.runtime;
    const noLesson = await refusal(api.call('lessons.setProfile', { labId, profileId: 'lesson-allowlist' }));
    expect(noLesson.body).toMatchObject({ code: 'conflict', message: expect.stringMatching(/không có tiết học/), messageEn: expect.stringMatching(/has no lesson running/) });
    const unknown = await refusal(api.call('lessons.start', { labId, className: '9C', profileId: 'no-such-profile' }));
    expect(unknown.body).toMatchObject({ code: 'not-found', messageEn: expect.stringMatching(/no-such-profile/) });
    // The refused start started nothing.
    expect(await api.call('lessons.active', {})).toEqual([]);
    const badName = await refusal(api.call('filtering.check', { labId, name: 'http://casino.test/page' }));
    expect(badName.body.code).toBe('bad-request');
    const invalid = await refusal(api.call('profiles.update', { profileId: 'preset-thcs', profile: { ...body(presetProfile('thcs')), extraAllow: ['not a domain'] } }));
    expect(invalid.body.code).toBe('bad-request');
  });
});
