// The agent's web filter as the agent core uses it: start (load the last good list, undo what a
// crashed run left in the system resolver, listen, and only then point the resolver at the filter
// and keep it there, and put the DNS firewall in force), install lists and profiles from the
// console, drain blocked attempts for the console, stop (firewall out of force first, save unsent
// attempts, put the system resolver back).
//
// The filter's upstreams follow the system resolver (unless IT set them): when the setting is
// changed behind the filter and pointed back, its new servers become the way out, after the same
// loop check the firewall made at start (dns-firewall.ts upstreamsChanged).

import type { AgentLog } from '../log.js';
import path from 'node:path';
import type { SystemControl, ResolverMethod } from '../system/system-control.js';
import type { DnsFirewall, DnsFirewallProblem } from '../system/dns-firewall.js';
import type { FilterProfile } from '../../shared/filtering/profile.js';
import { DnsFilter, blockedAttemptBatchSize, maxQueuedBlockedAttempts, type BlockedAttempt, type FilterStats } from './filter.js';
import { MatcherStore, filterFolderName, type ActiveFilterInfo, type InstallResult, type LoadOutcome } from './matcher-store.js';
import { pendingAttemptsPath, savePendingAttempts, takePendingAttempts } from './pending-attempts.js';
import { ResolverGuard, type ResolverGuardStatus } from './resolver-guard.js';
import { DnsServer, defaultListenAddresses, type DnsListenAddress } from './server.js';
import { Forwarder, Upstream, type UpstreamServer } from './upstream.js';

/** The only port a system resolver (resolv.conf, Windows adapters) can be pointed at. */
export const systemResolverPort = 53;

export interface WebFilterOptions {
  /** Agent data dir: the last good list and the saved resolver setting live here. */
  dataDir: string;
  /** Default 127.0.0.1:53 and [::1]:53. */
  listen?: readonly DnsListenAddress[];
  /** Upstreams set by IT; when empty, the resolvers the system used before the filter. */
  upstreams?: readonly UpstreamServer[];
  /**
   * When given, whatever a crashed run left in the system resolver is undone first; the resolver
   * is pointed at the filter once it listens (port 53 only), kept there, and put back on stop.
   * Without it (tests, benchmarks) the system is left alone.
   */
  system?: SystemControl;
  /**
   * Puts the DNS firewall (nftables) in force with this SystemControl once the filter listens; a
   * crashed run's table is replaced in the same step. Without it the firewall is left alone.
   */
  firewall?: { system: SystemControl; agentUid?: number; addressesFile?: string };
  log?: AgentLog;
  /** Called when a blocked attempt is queued after the queue was empty: drain soon. */
  onBlockedAttempt?: () => void;
  /** Called when the resolver or firewall part of status() changed (pointed back after a change, a problem began or ended). */
  onStatusChange?: () => void;
}

export interface WebFilterStatus {
  listening: DnsListenAddress[];
  upstreams: UpstreamServer[];
  /** How the system resolver was pointed at the filter; null when it was not. */
  resolver: ResolverMethod | null;
  /** Whether the resolver still points here, how often it was changed behind the filter, and any problem; null when the filter does not manage the resolver. */
  resolverGuard: ResolverGuardStatus | null;
  /** Whether the DNS firewall is in force, or why not; null when the filter does not manage it. */
  firewall: { problem: DnsFirewallProblem | null } | null;
  /** The list + profile in force; null before the first list arrived. */
  active: ActiveFilterInfo | null;
  /** What loading the saved list at start gave. */
  startedFrom: LoadOutcome;
  filter: FilterStats;
  cache: { entries: number; bytes: number; hits: number; misses: number };
  queuedBlockedAttempts: number;
}

export interface WebFilter {
  /** Verifies and swaps in a new compiled list + profile (FilterListError / ActiveFilterError when bad: the old stays). */
  install(blob: Uint8Array, profile: FilterProfile): Promise<InstallResult>;
  /** Switches profile over the list in force (lesson start/end). */
  setProfile(profile: FilterProfile): Promise<InstallResult>;
  /** Up to `max` oldest blocked attempts, removed from the queue. */
  drainBlockedAttempts(max?: number): BlockedAttempt[];
  setUpstreams(upstreams: readonly UpstreamServer[]): void;
  status(): WebFilterStatus;
  /** Stops listening; saves unsent blocked attempts; puts the system resolver back unless `restoreResolver` is false. */
  stop(options?: { restoreResolver?: boolean }): Promise<void>;
}

/**
 * Undoes what an earlier run left in the system resolver (it crashed while the resolver pointed at
 * it: no DNS at all until someone notices). Never throws: a failure is logged, the agent runs on.
 */
export async function recoverSystemResolver(system: SystemControl, log: AgentLog): Promise<void> {
  try {
    const outcome = await system.recoverResolver();
    if (outcome !== 'nothing-saved') log('dns-resolver-recovered', { outcome });
  } catch (error) {
    log('dns-resolver-recover-failed', { message: (error as Error).message });
  }
}

export async function startWebFilter(options: WebFilterOptions): Promise<WebFilter> {
  const log = options.log ?? (() => {});
  const listen = options.listen ?? defaultListenAddresses;
  const store = new MatcherStore({ dataDir: options.dataDir, log });
  // The saved list first (a read, no network): the moments without filtering below stay short.
  const startedFrom = await store.loadLastGood();
  const pendingFile = pendingAttemptsPath(path.join(options.dataDir, filterFolderName));
  const pending = await takePendingAttempts(pendingFile);
  if (pending.problem) log('blocked-attempts-unreadable', { reason: pending.problem });

  const { system } = options;
  // Before listening: if the filter cannot start, the PC must not be left pointing at nothing.
  if (system) await recoverSystemResolver(system, log);

  const target = { addresses: [...new Set(listen.map((l) => l.host))] };
  const itUpstreams = (options.upstreams ?? []).length > 0;
  let upstreams: UpstreamServer[] = [...(options.upstreams ?? [])];
  if (!itUpstreams && system) upstreams = await system.systemUpstreams(target).catch(() => []);
  const upstream = new Upstream(upstreams);
  const forwarder = new Forwarder(upstream);
  const filter = new DnsFilter({ rules: store, forwarder, onBlockedAttempt: options.onBlockedAttempt });
  if (pending.attempts.length > 0) {
    filter.requeueBlockedAttempts(pending.attempts);
    log('blocked-attempts-restored', { count: pending.attempts.length });
  }
  const server = new DnsServer({ listen, answerer: filter, log });
  try {
    await server.start();
  } catch (err) {
    forwarder.close();
    // They were taken off disk; put them back for the next run.
    await savePendingAttempts(pendingFile, filter.drainBlockedAttempts(maxQueuedBlockedAttempts)).catch(() => undefined);
    throw err;
  }

  let resolver: ResolverMethod | null = null;
  let guard: ResolverGuard | null = null;
  let firewall: DnsFirewall | null = null;
  const bound = server.addresses();
  if (system) {
    if (bound.every((b) => b.port === systemResolverPort)) {
      guard = new ResolverGuard({
        system,
        target: { addresses: bound.map((b) => b.host) },
        log,
        async onPointed(takeover) {
          resolver = takeover.method;
          // The servers the system uses now are the filter's way out, unless IT set them.
          if (itUpstreams || takeover.previousUpstreams.length === 0) return;
          let next = takeover.previousUpstreams;
          // At start the firewall does not exist yet and checks them itself when it comes.
          if (firewall) {
            const before = firewall.problem;
            next = await firewall.upstreamsChanged(next, upstream.listServers());
            if (firewall.problem !== before) options.onStatusChange?.();
          }
          upstream.setServers(next);
          forwarder.cache.clear();
        },
        onChange: () => options.onStatusChange?.(),
      });
      // Filtering still works for anything that asks 127.0.0.1 when this fails; status() says so.
      await guard.start();
    } else {
      log('dns-resolver-skipped', { reason: 'the filter does not listen on port 53' });
    }
  }
  if (upstream.listServers().length === 0) log('dns-no-upstream', { message: 'no upstream DNS server known; allowed names will fail (SERVFAIL)' });
  if (options.firewall) {
    // Only now: a firewall sending every program's DNS to a filter that does not listen yet would
    // leave the PC without DNS. Loaded here so an agent without a firewall never carries its code.
    const { turnOnDnsFirewall } = await import('../system/dns-firewall.js');
    firewall = await turnOnDnsFirewall({
      system: options.firewall.system,
      listening: bound,
      upstreams: upstream.listServers(),
      log,
      ...(options.firewall.agentUid !== undefined ? { agentUid: options.firewall.agentUid } : {}),
      ...(options.firewall.addressesFile !== undefined ? { addressesFile: options.firewall.addressesFile } : {}),
    });
  }

  return {
    install: (blob, profile) => store.install(blob, profile),
    setProfile: (profile) => store.setProfile(profile),
    drainBlockedAttempts: (max = blockedAttemptBatchSize) => filter.drainBlockedAttempts(max),
    setUpstreams(list) {
      upstream.setServers(list);
      forwarder.cache.clear();
    },
    status: () => ({
      listening: bound,
      upstreams: upstream.listServers(),
      resolver,
      resolverGuard: guard?.status() ?? null,
      firewall: firewall ? { problem: firewall.problem } : null,
      active: store.info,
      startedFrom,
      filter: filter.stats(),
      cache: { entries: forwarder.cache.size, bytes: forwarder.cache.sizeBytes, hits: forwarder.cache.hits, misses: forwarder.cache.misses },
      queuedBlockedAttempts: filter.queuedBlockedAttempts,
    }),
    async stop(stopOptions = {}) {
      // First: our own restore must not look like someone changing the resolver behind us, and a
      // re-point still in flight must land before the restore, not after it.
      await guard?.stop();
      // Then the firewall, while the filter still answers: no program is left without DNS.
      await firewall?.remove();
      await server.stop();
      forwarder.close();
      const unsent = filter.drainBlockedAttempts(maxQueuedBlockedAttempts);
      await savePendingAttempts(pendingFile, unsent).then(
        () => unsent.length > 0 && log('blocked-attempts-saved', { count: unsent.length }),
        (error: unknown) => log('blocked-attempts-save-failed', { message: (error as Error).message }),
      );
      if (system && guard && stopOptions.restoreResolver !== false) {
        const outcome = await system.restoreResolver();
        log('dns-resolver-restored', { outcome });
      }
    },
  };
}
