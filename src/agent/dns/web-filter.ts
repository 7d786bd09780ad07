// The agent's web filter as the agent core uses it: start (load the last good list, listen, point
// the system resolver at it), install lists and profiles from the console, drain blocked
// attempts for the console, stop (put the system resolver back).

import type { AgentLog } from '../log.js';
import type { SystemControl, ResolverMethod } from '../system/system-control.js';
import type { FilterProfile } from '../../shared/filtering/profile.js';
import { DnsFilter, blockedAttemptBatchSize, type BlockedAttempt, type FilterStats } from './filter.js';
import { MatcherStore, type ActiveFilterInfo, type InstallResult, type LoadOutcome } from './matcher-store.js';
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
   * When given, the system resolver is pointed at the filter once it listens (port 53 only) and
   * put back on stop. Without it (tests, benchmarks) the system is left alone.
   */
  system?: SystemControl;
  log?: AgentLog;
  /** Called when a blocked attempt is queued after the queue was empty: drain soon. */
  onBlockedAttempt?: () => void;
}

export interface WebFilterStatus {
  listening: DnsListenAddress[];
  upstreams: UpstreamServer[];
  /** How the system resolver was pointed at the filter; null when it was not. */
  resolver: ResolverMethod | null;
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
  /** Stops listening; puts the system resolver back unless `restoreResolver` is false. */
  stop(options?: { restoreResolver?: boolean }): Promise<void>;
}

export async function startWebFilter(options: WebFilterOptions): Promise<WebFilter> {
  const log = options.log ?? (() => {});
  const listen = options.listen ?? defaultListenAddresses;
  const store = new MatcherStore({ dataDir: options.dataDir, log });
  const startedFrom = await store.loadLastGood();

  const target = { addresses: [...new Set(listen.map((l) => l.host))] };
  let upstreams: UpstreamServer[] = [...(options.upstreams ?? [])];
  if (upstreams.length === 0 && options.system) upstreams = await options.system.systemUpstreams(target);
  const upstream = new Upstream(upstreams);
  const forwarder = new Forwarder(upstream);
  const filter = new DnsFilter({ rules: store, forwarder, onBlockedAttempt: options.onBlockedAttempt });
  const server = new DnsServer({ listen, answerer: filter, log });
  try {
    await server.start();
  } catch (err) {
    forwarder.close();
    throw err;
  }

  let resolver: ResolverMethod | null = null;
  const bound = server.addresses();
  if (options.system) {
    if (bound.every((b) => b.port === systemResolverPort)) {
      try {
        const takeover = await options.system.pointResolverAtFilter({ addresses: bound.map((b) => b.host) });
        resolver = takeover.method;
        if ((options.upstreams ?? []).length === 0 && upstream.listServers().length === 0) upstream.setServers(takeover.previousUpstreams);
        log('dns-resolver-pointed', { method: takeover.method, keptEarlierSave: takeover.keptEarlierSave, upstreams: upstream.listServers().map((u) => u.host).join(',') });
      } catch (err) {
        // Filtering still works for anything that asks 127.0.0.1; the core reports the failure.
        log('dns-resolver-failed', { message: (err as Error).message });
      }
    } else {
      log('dns-resolver-skipped', { reason: 'the filter does not listen on port 53' });
    }
  }
  if (upstream.listServers().length === 0) log('dns-no-upstream', { message: 'no upstream DNS server known; allowed names will fail (SERVFAIL)' });

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
      active: store.info,
      startedFrom,
      filter: filter.stats(),
      cache: { entries: forwarder.cache.size, bytes: forwarder.cache.sizeBytes, hits: forwarder.cache.hits, misses: forwarder.cache.misses },
      queuedBlockedAttempts: filter.queuedBlockedAttempts,
    }),
    async stop(stopOptions = {}) {
      await server.stop();
      forwarder.close();
      if (options.system && resolver && stopOptions.restoreResolver !== false) {
        const outcome = await options.system.restoreResolver();
        log('dns-resolver-restored', { outcome });
      }
    },
  };
}
