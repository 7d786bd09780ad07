// The agent's web-filtering feature: chunked list transfer, checksum, profile switch, blocked reports.
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promises as dnsPromises } from 'node:dns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFilterChunks, filterChunkBytes } from '../../../src/shared/protocol/frame.js';
import { ProtocolError } from '../../../src/shared/protocol/errors.js';
import type { AgentMessage } from '../../../src/shared/protocol/messages.js';
import { MatcherStore } from '../../../src/agent/dns/matcher-store.js';
import { startWebFilter, type WebFilter, type WebFilterStatus } from '../../../src/agent/dns/web-filter.js';
import { translate } from '../../../src/shared/i18n/index.js';
import { WebFiltering, WebFilteringError } from '../../../src/agent/web-filtering.js';
import { compileTestList, lessonProfile, schoolProfile } from '../dns/lists.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let dataDir: string;
let web: WebFilter;
let filtering: WebFiltering;
let sent: AgentMessage[];

async function lookup(name: string): Promise<string[] | string> {
  const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
  const port = web.status().listening[0]!.port;
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    return await resolver.resolve4(name);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'safelab-webfiltering-'));
  sent = [];
  let onBlocked = (): void => {};
  // No upstream: allowed names fail (SERVFAIL), blocked names are answered locally.
  web = await startWebFilter({ dataDir, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], onBlockedAttempt: () => onBlocked() });
  filtering = new WebFiltering({ webFilter: web, initial: undefined, log: () => {} });
  onBlocked = filtering.onBlockedAttempt;
  filtering.attach((m) => sent.push(m));
});

afterEach(async () => {
  filtering.close();
  await web.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function send(list: Uint8Array, transferId: number): void {
  for (const frame of encodeFilterChunks(transferId, list)) filtering.onChunk(frame);
}

describe('agent web filtering', () => {
  it('installs a list sent in chunks and then blocks what the profile blocks', async () => {
    const list = compileTestList();
    send(list, 7);
    await filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(list), bytes: list.byteLength, transferId: 7 } });
    expect(filtering.state()).toMatchObject({ listSha256: sha256(list), profileId: 'thcs', mode: 'filtered' });
    expect(await lookup('www.porn.test')).toEqual(['0.0.0.0']);
  });

  it('reassembles a list larger than one chunk', async () => {
    const big = compileTestList(Array.from({ length: 120_000 }, (_, i) => `site${i}.adult-${i % 97}.test`));
    expect(big.byteLength).toBeGreaterThan(filterChunkBytes);
    send(big, 8);
    await filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(big), bytes: big.byteLength, transferId: 8 } });
    expect(await lookup(`a.site119999.adult-${119999 % 97}.test`)).toEqual(['0.0.0.0']);
  });

  it('refuses a damaged transfer and keeps the previous list in force', async () => {
    const good = compileTestList();
    send(good, 1);
    await filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(good), bytes: good.byteLength, transferId: 1 } });
    const damaged = compileTestList(['new.test']);
    const expected = sha256(damaged);
    damaged[damaged.byteLength - 1] ^= 0xff;
    send(damaged, 2);
    await expect(
      filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: expected, bytes: damaged.byteLength, transferId: 2 } }),
    ).rejects.toMatchObject({ code: 'filter-list-corrupt' });
    expect(filtering.state()?.listSha256).toBe(sha256(good));
    expect(await lookup('porn.test')).toEqual(['0.0.0.0']);
  });

  it('switches profile without a resend only when it already holds the named list', async () => {
    const list = compileTestList();
    await expect(
      filtering.apply({ name: 'setFilter', profile: lessonProfile(), list: { sha256: sha256(list), bytes: list.byteLength } }),
    ).rejects.toBeInstanceOf(WebFilteringError);
    send(list, 3);
    await filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(list), bytes: list.byteLength, transferId: 3 } });
    await filtering.apply({ name: 'setFilter', profile: lessonProfile(), list: { sha256: sha256(list), bytes: list.byteLength } });
    expect(filtering.state()?.mode).toBe('allowlist-only');
    // Allowlist-only: a name outside the lesson platforms is refused locally.
    expect(await lookup('news.example.test')).toEqual(['0.0.0.0']);
  });

  it('rejects chunks out of order or from nowhere', () => {
    const list = compileTestList(Array.from({ length: 120_000 }, (_, i) => `x${i}.test`));
    const frames = encodeFilterChunks(5, list);
    expect(frames.length).toBeGreaterThan(1);
    expect(() => filtering.onChunk(frames[1]!)).toThrow(ProtocolError);
    filtering.onChunk(frames[0]!);
    expect(() => filtering.onChunk(frames[0]!)).toThrow(ProtocolError);
  });

  it('reports blocked attempts in one batch with name and category only', async () => {
    const list = compileTestList();
    send(list, 9);
    await filtering.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(list), bytes: list.byteLength, transferId: 9 } });
    await lookup('porn.test');
    await lookup('casino.test');
    const deadline = Date.now() + 5000;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sent).toHaveLength(1);
    const report = sent[0]!;
    expect(report.type).toBe('blocked');
    if (report.type !== 'blocked') return;
    expect(report.attempts.map((a) => [a.name, a.category])).toEqual([
      ['porn.test', 'adult'],
      ['casino.test', 'gambling'],
    ]);
    expect(Object.keys(report.attempts[0]!).sort()).toEqual(['category', 'name', 'time']);
  });
});

describe('agent web filtering with a saved list it cannot read', () => {
  it('claims no list, says why (another version vs damaged), and the problem ends once the console’s list is in', async () => {
    const list = compileTestList();
    for (const [damage, code] of [
      ['version', 'list-format-unsupported'],
      ['bytes', 'list-corrupt'],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'safelab-webfiltering-saved-'));
      try {
        const store = new MatcherStore({ dataDir: dir });
        await store.install(list, schoolProfile());
        const file = await fs.readFile(store.savedFilePath);
        const blobAt = (12 + file.readUInt32LE(8) + 7) & ~7;
        if (damage === 'version') file.writeUInt16LE(1, blobAt + 4);
        else file[file.length - 1] ^= 0xff;
        await fs.writeFile(store.savedFilePath, file);

        const filter = await startWebFilter({ dataDir: dir, listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [] });
        // state.json still remembers the list it had: the console must not be told it is here.
        const feature = new WebFiltering({ webFilter: filter, initial: { listSha256: sha256(list), profileId: 'thcs', mode: 'filtered' }, log: () => {} });
        try {
          const state = feature.state()!;
          expect(state.listSha256).toBeUndefined();
          expect(state.profileId).toBeUndefined();
          expect(state.problem).toEqual({ code, detail: expect.stringMatching(/waiting for the console to send its list/) });
          expect(translate('vi', `filtering.reason.${code}`)).not.toBe(`filtering.reason.${code}`);
          expect(translate('en', `filtering.reason.${code}`)).toMatch(/sends the list again as soon as the PC connects/);
          // A profile switch over the list it does not hold is refused: the console sends the list.
          await expect(feature.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(list), bytes: list.byteLength } })).rejects.toMatchObject({ code: 'filter-list-missing' });
          for (const frame of encodeFilterChunks(3, list)) feature.onChunk(frame);
          await feature.apply({ name: 'setFilter', profile: schoolProfile(), list: { sha256: sha256(list), bytes: list.byteLength, transferId: 3 } });
          expect(feature.state()).toMatchObject({ listSha256: sha256(list), profileId: 'thcs' });
          expect(feature.state()!.problem).toBeUndefined();
        } finally {
          feature.close();
          await filter.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('what the agent says about its protection', () => {
  /** A filter whose status is all this feature reads to say whether the PC is protected. */
  function filterWith(overrides: Partial<WebFilterStatus>): WebFilter {
    const status: WebFilterStatus = {
      listening: [{ host: '127.0.0.1', port: 53 }],
      upstreams: [],
      resolver: 'systemd-resolved',
      resolverGuard: { pointed: true, drift: null, problem: null },
      firewall: { problem: null },
      active: null,
      startedFrom: 'none',
      filter: {} as WebFilterStatus['filter'],
      cache: { entries: 0, bytes: 0, hits: 0, misses: 0 },
      queuedBlockedAttempts: 0,
      ...overrides,
    };
    return { status: () => status } as unknown as WebFilter;
  }
  const bypassed = { pointed: false, drift: { count: 1, lastAt: 5 }, problem: { code: 'resolver-bypassed' as const, detail: '/etc/resolv.conf names 192.168.1.1' } };
  const firewallFailed = { code: 'firewall-failed' as const, detail: 'nft is not installed' };

  it('reports resolv.conf going round systemd-resolved only when no firewall redirects those queries to the filter', () => {
    const withoutFirewall = new WebFiltering({ webFilter: filterWith({ resolverGuard: bypassed, firewall: null }), initial: undefined, log: () => {} });
    expect(withoutFirewall.state()).toMatchObject({ problem: { code: 'resolver-bypassed' }, resolverDrift: { count: 1 } });
    const firewallDown = new WebFiltering({ webFilter: filterWith({ resolverGuard: bypassed, firewall: { problem: firewallFailed } }), initial: undefined, log: () => {} });
    expect(firewallDown.state()!.problem?.code).toBe('resolver-bypassed');
    const firewallUp = new WebFiltering({ webFilter: filterWith({ resolverGuard: bypassed }), initial: undefined, log: () => {} });
    expect(firewallUp.state()!.problem).toBeUndefined();
    // The change still counts as drift for IT staff.
    expect(firewallUp.state()!.resolverDrift).toEqual({ count: 1, lastAt: 5 });
  });

  it('puts a resolver that does not point here first, a missing list next, a firewall out of force last', () => {
    const contested = { pointed: false, drift: null, problem: { code: 'resolver-contested' as const, detail: 'changed back 6 times' } };
    const all = new WebFiltering({ webFilter: filterWith({ resolverGuard: contested, startedFrom: 'unsupported', firewall: { problem: firewallFailed } }), initial: undefined, log: () => {} });
    expect(all.state()!.problem?.code).toBe('resolver-contested');
    const listAndFirewall = new WebFiltering({ webFilter: filterWith({ startedFrom: 'unsupported', firewall: { problem: firewallFailed } }), initial: undefined, log: () => {} });
    expect(listAndFirewall.state()!.problem?.code).toBe('list-format-unsupported');
    const firewallOnly = new WebFiltering({ webFilter: filterWith({ startedFrom: 'none', firewall: { problem: firewallFailed } }), initial: undefined, log: () => {} });
    expect(firewallOnly.state()!.problem).toEqual(firewallFailed);
  });
});
