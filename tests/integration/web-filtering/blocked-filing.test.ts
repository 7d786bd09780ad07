// A blocked attempt made during a lesson while the console was away, kept by the agent across a
// graceful restart, reaches the console during the *next* lesson and is still filed under the
// lesson in which it happened. Real console process, real agent process, real DNS, real SQLite.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUpstream } from '../dns/test-upstream.js';
import { freePort, removeDir, startConsoleProcess, tempDataDir, type ConsoleProcess } from '../helpers/console-process.js';
import { stopAllChildren } from '../helpers/processes.js';
import { enrolAgent } from '../helpers/real-agent.js';
import { until } from '../helpers/wait.js';
import { assertFilteringBuilt, FilteringAgent, resolve4 } from './filtering-helpers.js';

/** On SafeLab's own encrypted-DNS list: blocked by every profile. */
const dohName = 'dns.google';

let dataDir: string;
let agentDir: string;
let agentPort: number;
let upstream: TestUpstream;
let console_: ConsoleProcess;
let labId: string;
let machineId: string;

beforeAll(async () => {
  assertFilteringBuilt();
  dataDir = tempDataDir('blocked-filing');
  agentDir = path.join(dataDir, 'agent');
  agentPort = await freePort();
  upstream = await TestUpstream.start({ zone: { 'site.test': { A: ['10.1.2.3'] } } });
  console_ = await startConsoleProcess({ dataDir: path.join(dataDir, 'console'), agentPort });
  labId = (await console_.api.call('labs.list', {}))[0]!.id;
  const { code } = await console_.api.call('enrolment.create', { labId });
  const enrolled = await enrolAgent({ dataDir: agentDir, hostname: 'PC-03', consoleUrl: console_.agentUrl, code });
  if (enrolled.exitCode !== 0) throw new Error(enrolled.output);
  machineId = (JSON.parse(readFileSync(path.join(agentDir, 'agent.json'), 'utf8')) as { machineId: string }).machineId;
}, 60_000);

afterAll(async () => {
  await stopAllChildren();
  await upstream?.close();
  removeDir(dataDir);
});

describe('blocked attempts filed by when they happened', { timeout: 90_000 }, () => {
  it('files an attempt queued while the console was away and kept across an agent restart under its own lesson', async () => {
    let agent = FilteringAgent.start({ dataDir: agentDir, hostname: 'PC-03', upstreamPort: upstream.port });
    let port = await agent.dnsPort();
    await until(async () => (await console_.api.call('filtering.status', {})).machines.some((m) => m.machineId === machineId && m.state === 'applied'), 20_000, 'PC-03 filtering');
    const lesson1 = await console_.api.call('lessons.start', { labId, className: '9A' });

    // The console goes away in the middle of the lesson; the pupil tries an encrypted-DNS server.
    expect(await console_.kill()).toBe('SIGKILL');
    const triedAt = Date.now();
    expect(await resolve4(port, dohName)).toEqual(['0.0.0.0']);
    // The PC is shut down properly before the console is back: the attempt is kept on disk.
    expect(await agent.agent.stop()).toBe(0);
    expect(agent.agent.log.has(/blocked-attempts-saved count=1/), agent.agent.log.text()).toBe(true);

    // Next period: the console is back, 9A ended, 9B started — then the PC comes back.
    console_ = await startConsoleProcess({ dataDir: path.join(dataDir, 'console'), agentPort });
    const ended = await console_.api.call('lessons.end', { labId });
    expect(ended?.id).toBe(lesson1.id);
    expect(ended!.endedAt!).toBeGreaterThan(triedAt);
    const lesson2 = await console_.api.call('lessons.start', { labId, className: '9B' });
    agent = FilteringAgent.start({ dataDir: agentDir, hostname: 'PC-03', upstreamPort: upstream.port });
    port = await agent.dnsPort();
    await agent.agent.log.waitFor(/blocked-attempts-restored count=1/, 10_000);

    await until(async () => (await console_.api.call('filtering.blocked', { machineId })).total > 0, 20_000, 'the kept attempt at the console');
    const record = await console_.api.call('filtering.blocked', { machineId });
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]).toMatchObject({ name: dohName, category: 'doh-providers', lessonId: lesson1.id, labId });
    expect(Math.abs(record.attempts[0]!.at - triedAt)).toBeLessThan(5_000);
    expect((await console_.api.call('filtering.blocked', { lessonId: lesson2.id })).total).toBe(0);

    // An attempt made now belongs to 9B.
    expect(await resolve4(port, `www.${dohName}`)).toEqual(['0.0.0.0']);
    await until(async () => (await console_.api.call('filtering.blocked', { lessonId: lesson2.id })).total === 1, 20_000, 'the new attempt filed under 9B');
    await console_.api.call('lessons.end', { labId });
  });
});
