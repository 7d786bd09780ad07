// Web filtering end to end: the console process compiles the lists and pushes the lab's profile to
// real agent processes, whose DNS filters (asked by Node's resolver and by dig) refuse blocked
// names and forward the rest to a test DNS server on loopback. The teacher switches a lesson to
// the allowlist and back, IT staff edit profiles, agents report blocked attempts, and a console
// crash neither lifts filtering nor makes the console resend a list the PCs already hold.
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, MachineFilterStatus } from '../../../src/shared/api/contract.js';
import { alwaysBlockedCategories } from '../../../src/shared/filtering/presets.js';
import { openStore } from '../../../src/main/store/index.js';
import { TestUpstream } from '../dns/test-upstream.js';
import { EventRecorder, HttpApiError, machineOnline } from '../helpers/console-api.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { stopAllChildren } from '../helpers/processes.js';
import { enrolAgent } from '../helpers/real-agent.js';
import { until } from '../helpers/wait.js';
import { assertFilteringBuilt, digA, FilteringAgent, resolve4 } from './filtering-helpers.js';

const zone = {
  'site.test': { A: ['10.1.2.3'] },
  'news.test': { A: ['10.1.2.4'] },
  'game.test': { A: ['10.1.2.5'] },
  'casino.test': { A: ['6.6.6.6'] },
  'poker.test': { A: ['6.6.6.7'] },
  'olm.vn': { A: ['10.9.9.9'] },
};

let dataDir: string;
/** The school's list files: outside the console's data folder, which no list source may read. */
let listsDir: string;
let agentPort: number;
let upstream: TestUpstream;
let console_: ConsoleProcess;
let events: EventRecorder;
const recorders: EventRecorder[] = [];
let labId: string;
const pcs: { name: string; id: string; agent: FilteringAgent; port: number }[] = [];

async function eventsOf(console: ConsoleProcess): Promise<EventRecorder> {
  const recorder = await EventRecorder.overHttp(console.file.apiUrl, console.file.token);
  recorders.push(recorder);
  return recorder;
}

/** Waits until every PC enforces `profileId` with the console's current list; returns their statuses. */
async function everyPcApplies(profileId: string, what: string): Promise<MachineFilterStatus[]> {
  let machines: MachineFilterStatus[] = [];
  await until(
    async () => {
      const status = await console_.api.call('filtering.status', { labId });
      const sha = status.lists.current?.sha256;
      machines = status.machines;
      return (
        sha !== undefined &&
        machines.length === pcs.length &&
        machines.every((m) => m.state === 'applied' && m.listSha256 === sha && m.profileId === profileId)
      );
    },
    20_000,
    what,
    100,
  );
  return machines;
}

async function answersEverywhere(name: string): Promise<Array<string[] | string>> {
  return Promise.all(pcs.map((pc) => resolve4(pc.port, name)));
}

beforeAll(async () => {
  assertFilteringBuilt();
  dataDir = tempDataDir('web-filtering');
  listsDir = tempDataDir('web-filtering-lists');
  agentPort = await freePort();
  upstream = await TestUpstream.start({ zone });
  writeFileSync(path.join(listsDir, 'gambling.txt'), '# a school list\ncasino.test\npoker.test\nnot a name!\n');
  writeFileSync(path.join(listsDir, 'games.txt'), '0.0.0.0 game.test\n');
});

afterAll(async () => {
  for (const r of recorders) r.close();
  await stopAllChildren();
  await upstream?.close();
  removeDir(dataDir);
  removeDir(listsDir);
});

describe('web filtering of a lab with real agents and real DNS', { timeout: 90_000 }, () => {
  it('compiles the lists on the console and pushes the lab baseline to every agent that filters', async () => {
    console_ = await startConsoleProcess({ dataDir, agentPort });
    events = await eventsOf(console_);
    const { api } = console_;
    labId = (await api.call('labs.list', {}))[0]!.id;

    // A fresh console says plainly that no third-party list was ever downloaded.
    const fresh = await api.call('filtering.status', {});
    expect(fresh.lists.autoRefresh).toBe(false);
    expect(fresh.sources.find((s) => s.source.id === 'ut1-adult')?.status.state).toBe('never-downloaded');
    expect(fresh.labs[0]).toMatchObject({ baselineProfileId: 'preset-thcs', baselineIsDefault: true, effective: { id: 'preset-thcs', mode: 'filtered' } });
    expect(fresh.labs[0]!.missingCategories).toEqual(expect.arrayContaining(['adult', 'gambling', 'games']));

    const enrolment = await api.call('enrolment.create', { labId });
    for (const name of ['PC-01', 'PC-02']) {
      const agentDir = path.join(dataDir, 'agents', name);
      const result = await enrolAgent({ dataDir: agentDir, hostname: name, consoleUrl: console_.agentUrl, code: enrolment.code });
      expect(result.exitCode, result.output).toBe(0);
      const id = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
      const agent = FilteringAgent.start({ dataDir: agentDir, hostname: name, upstreamPort: upstream.port });
      pcs.push({ name, id, agent, port: await agent.dnsPort() });
    }
    // Compiled off the console's event loop.
    await console_.log.waitFor(/web-filtering: list \w+ compiled in \d+ ms in worker/, 10_000);
    const first = await everyPcApplies('preset-thcs', 'both PCs on the THCS baseline with our own lists');
    expect(first.every((m) => m.sentList)).toBe(true);

    // The school's own lists arrive: the console recompiles and every PC gets the new list.
    await api.call('lists.add', { source: { type: 'file', id: 'school-gambling', path: path.join(listsDir, 'gambling.txt'), category: 'gambling' } });
    await api.call('lists.add', { source: { type: 'file', id: 'school-games', path: path.join(listsDir, 'games.txt'), category: 'games', format: 'hosts' } });
    const status = await api.call('filtering.status', { labId });
    const list = status.lists.current!;
    expect(list.categories.map((c) => c.name)).toEqual(expect.arrayContaining(['gambling', 'games', 'lesson-platforms', 'doh-providers']));
    expect(list.reports.find((r) => r.source.endsWith('gambling.txt'))).toMatchObject({ accepted: 2, bad: 1 });
    expect(status.labs[0]!.missingCategories).not.toContain('gambling');
    expect(status.sources.find((s) => s.source.id === 'school-gambling')?.status.state).toBe('local');
    const applied = await everyPcApplies('preset-thcs', 'both PCs on the new list');
    expect(applied.every((m) => m.listSha256 === list.sha256 && m.sentList)).toBe(true);
  });

  it('refuses blocked names and answers allowed ones, over UDP and TCP, to Node and to dig', async () => {
    for (const pc of pcs) {
      expect(await resolve4(pc.port, 'casino.test')).toEqual(['0.0.0.0']);
      expect(await resolve4(pc.port, 'www.poker.test')).toEqual(['0.0.0.0']);
      expect(await resolve4(pc.port, 'game.test')).toEqual(['0.0.0.0']);
      expect(await resolve4(pc.port, 'site.test')).toEqual(['10.1.2.3']);
    }
    const port = pcs[0]!.port;
    expect(await digA(port, 'casino.test')).toEqual(['0.0.0.0']);
    expect(await digA(port, 'CASINO.test.', 'tcp')).toEqual(['0.0.0.0']);
    expect(await digA(port, 'site.test', 'tcp')).toEqual(['10.1.2.3']);
    // The blocked names never reached the upstream; the allowed one did.
    const asked = upstream.queries.map((q) => q.name);
    expect(asked).toContain('site.test');
    expect(asked).not.toContain('casino.test');
    expect(asked).not.toContain('game.test');
  });

  it('stores the blocked attempts agents report and announces them live', async () => {
    const pc = pcs[0]!;
    const from = events.events.length;
    expect(await resolve4(pc.port, 'poker.test')).toEqual(['0.0.0.0']);
    const live = await events.waitFor<Extract<ApiEvent, { type: 'filter.blocked' }>>(
      (e) => e.type === 'filter.blocked' && e.machineId === pc.id && e.attempts.some((a) => a.name === 'poker.test'),
      10_000,
      'a blocked report for poker.test',
      from,
    );
    expect(live).toMatchObject({ labId, lessonId: null });
    expect(live.attempts.find((a) => a.name === 'poker.test')?.category).toBe('gambling');

    const record = await console_.api.call('filtering.blocked', { machineId: pc.id });
    expect(record.attempts.map((a) => a.name)).toEqual(expect.arrayContaining(['casino.test', 'poker.test', 'game.test']));
    expect(record.byCategory.map((c) => c.category)).toEqual(expect.arrayContaining(['gambling', 'games']));
    expect(record.total).toBeGreaterThanOrEqual(3);
  });

  it('switches the lab to the lesson allowlist for a lesson and back when the lesson ends', async () => {
    const { api } = console_;
    const lesson = await api.call('lessons.start', { labId, className: '7A1', teacher: 'Cô Lan' });
    const change = await api.call('lessons.setProfile', { labId, profileId: 'lesson-allowlist' });
    expect(change.lab).toMatchObject({ lessonId: lesson.id, lessonProfileId: 'lesson-allowlist', effective: { id: 'lesson-allowlist', mode: 'allowlist-only' } });
    expect(change.machines.map((m) => m.state)).toEqual(['applied', 'applied']);
    // A profile switch only: the PCs already hold the list.
    expect(change.machines.every((m) => !m.sentList && m.mode === 'allowlist-only')).toBe(true);

    expect(await answersEverywhere('site.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
    expect(await answersEverywhere('olm.vn')).toEqual([['10.9.9.9'], ['10.9.9.9']]);
    // The baseline still holds under the lesson profile.
    expect(await answersEverywhere('casino.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
    expect(await digA(pcs[1]!.port, 'news.test')).toEqual(['0.0.0.0']);
    await until(
      async () => (await api.call('filtering.blocked', { lessonId: lesson.id })).attempts.some((a) => a.name === 'site.test' && a.category === 'allowlist-only'),
      10_000,
      'the lesson record to hold site.test as not on the allowlist',
    );

    await api.call('lessons.end', { labId });
    await everyPcApplies('preset-thcs', 'both PCs back on the baseline after the lesson');
    expect(await answersEverywhere('site.test')).toEqual([['10.1.2.3'], ['10.1.2.3']]);
    expect(await answersEverywhere('casino.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
  });

  it('starts a lesson straight on a profile (lessons.start with profileId)', async () => {
    const { api } = console_;
    await api.call('lessons.start', { labId, className: '7A2', profileId: 'lesson-allowlist' });
    await everyPcApplies('lesson-allowlist', 'the PCs on the allowlist from the lesson start');
    expect(await resolve4(pcs[0]!.port, 'news.test')).toEqual(['0.0.0.0']);
    expect(await api.call('filtering.check', { labId, name: 'OLM.vn.' })).toMatchObject({ name: 'olm.vn', verdict: 'allow' });
    expect(await api.call('filtering.check', { labId, name: 'news.test' })).toMatchObject({ verdict: 'block', category: 'allowlist-only' });
    await api.call('lessons.end', { labId });
    await everyPcApplies('preset-thcs', 'the PCs back on the baseline');
    expect(await resolve4(pcs[0]!.port, 'news.test')).toEqual(['10.1.2.4']);
  });

  it('applies IT staff profile edits and baseline changes, and refuses unblocking what is always blocked', async () => {
    const { api } = console_;
    const { profiles } = await api.call('profiles.list', {});
    const thcs = profiles.find((p) => p.profile.id === 'preset-thcs')!;
    expect(thcs.builtIn).toBe(true);
    const { id: _id, floors: _floors, ...body } = thcs.profile;

    const edited = await api.call('profiles.update', { profileId: 'preset-thcs', profile: { ...body, extraBlock: ['news.test'] } });
    expect(edited.profile.extraBlock).toEqual(['news.test']);
    await until(async () => (await answersEverywhere('news.test')).every((a) => JSON.stringify(a) === '["0.0.0.0"]'), 20_000, 'news.test blocked on both PCs');
    expect(await api.call('filtering.check', { labId, name: 'news.test' })).toMatchObject({ verdict: 'block', category: 'custom-block' });

    const refused = await api
      .call('profiles.update', { profileId: 'preset-thcs', profile: { ...body, blockedCategories: body.blockedCategories.filter((c) => c !== 'adult') } })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpApiError);
    expect((refused as HttpApiError).status).toBe(400);
    expect((refused as HttpApiError).body.messageEn).toMatch(/cannot be unblocked: adult/);
    expect((refused as HttpApiError).body.message).toMatch(/luôn bị chặn/);
    expect(alwaysBlockedCategories).toContain('adult');

    await api.call('profiles.update', { profileId: 'preset-thcs', profile: body });
    const thpt = await api.call('labs.setBaselineProfile', { labId, profileId: 'preset-thpt' });
    expect(thpt.lab).toMatchObject({ baselineProfileId: 'preset-thpt', baselineIsDefault: false });
    expect(thpt.machines.map((m) => m.state)).toEqual(['applied', 'applied']);
    // THPT (upper secondary) does not block games; THCS does.
    expect(await answersEverywhere('game.test')).toEqual([['10.1.2.5'], ['10.1.2.5']]);
    expect(await answersEverywhere('news.test')).toEqual([['10.1.2.4'], ['10.1.2.4']]);
    await api.call('labs.setBaselineProfile', { labId, profileId: 'preset-thcs' });
    expect(await answersEverywhere('game.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
  });

  it('keeps filtering while the console is down and needs no resend when it comes back', async () => {
    const { sha256 } = (await console_.api.call('filtering.status', {})).lists.current!;
    expect(await console_.kill()).toBe('SIGKILL');
    // Nobody to ask: the agents enforce their last filter on their own.
    expect(await answersEverywhere('casino.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
    expect(await answersEverywhere('site.test')).toEqual([['10.1.2.3'], ['10.1.2.3']]);

    console_ = await startConsoleProcess({ dataDir, agentPort });
    events = await eventsOf(console_);
    for (const pc of pcs) await events.waitFor(machineOnline(pc.id), 30_000, `${pc.name} back online`, 0);
    const back = await everyPcApplies('preset-thcs', 'both PCs confirmed on the baseline after the restart');
    // Same inputs, same cached bytes: the PCs already hold this list, so only the profile went out.
    expect(back.every((m) => m.listSha256 === sha256 && !m.sentList)).toBe(true);
    expect(console_.log.has(/sending list/)).toBe(false);
    expect(console_.log.lines.filter((l) => /already there/.test(l))).toHaveLength(2);
    expect(await answersEverywhere('casino.test')).toEqual([['0.0.0.0'], ['0.0.0.0']]);
  });

  it('records every profile change in the audit log (who, when, old → new)', async () => {
    expect(await console_.stop()).toBe(0);
    const store = openStore(dataDir);
    try {
      expect(store.audit.verifyAuditChain()).toMatchObject({ ok: true });
      const entries = store.audit.recentAudit(200);
      const edits = entries.filter((e) => e.action === 'profile.updated' && e.target === 'preset-thcs');
      expect(edits).toHaveLength(2);
      const [revert, first] = edits;
      // No user logins yet: who = the channel and the OS account running the console (the UI's case here).
      expect(first).toMatchObject({ actor: `teacher:${userInfo().username}`, details: { changes: { extraBlock: { added: ['news.test'], removed: [] } } } });
      expect(revert).toMatchObject({ details: { changes: { extraBlock: { added: [], removed: ['news.test'] } } } });
      expect(typeof first!.at).toBe('number');
      const baselines = entries.filter((e) => e.action === 'lab.baselineProfileChanged').map((e) => e.details);
      expect(baselines).toEqual([
        { from: 'preset-thpt', to: 'preset-thcs' },
        { from: null, to: 'preset-thpt' },
      ]);
      const lessonSwitches = entries.filter((e) => e.action === 'lesson.profileChanged');
      expect(lessonSwitches.map((e) => e.details)).toEqual(expect.arrayContaining([expect.objectContaining({ from: null, to: 'lesson-allowlist' })]));
      // Both lessons ran on the allowlist; each end put the lab back on its baseline, recorded as a
      // change made by the lesson's end, not by a person, with who ended the lesson beside it.
      const reverts = lessonSwitches.filter((e) => e.actor === 'lesson end');
      expect(reverts).toHaveLength(2);
      for (const revert of reverts) {
        expect(revert.details).toEqual({ labId, from: 'lesson-allowlist', to: null, endedBy: `teacher:${userInfo().username}` });
        const ended = entries.find((e) => e.action === 'lesson.ended' && e.target === revert.target);
        expect(Math.abs(ended!.at - revert.at)).toBeLessThan(1000);
      }
      expect(entries.filter((e) => e.action === 'lists.sourceAdded').map((e) => e.target).sort()).toEqual(['school-gambling', 'school-games']);
    } finally {
      store.close();
    }
  });
});
