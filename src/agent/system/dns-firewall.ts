// The DNS firewall as the agent core uses it: put in force once the web filter listens (every
// program's DNS then goes through the filter, and encrypted DNS that would go round it is refused),
// removed when the agent stops, when no filter runs and when the filter cannot start, and replaced
// or removed when a crashed run left it. A PC where it cannot be put in force (no nftables, the
// kernel refuses) keeps filtering what asks the system resolver; the agent logs why once and tells
// the console, which shows that PC as filtering with a warning that programs can go round it.
//
// The loop check (a resolver on this PC as the filter's upstream) runs when the firewall is put in
// force and again whenever the filter is about to take new upstreams from a changed system
// resolver (upstreamsChanged): NetworkManager may switch to its own dnsmasq on 127.0.1.1 long
// after the agent started.

import net from 'node:net';
import type { AgentLog } from '../log.js';
import { readEncryptedDnsAddresses } from './encrypted-dns-addresses.js';
import { SystemControlError, type ResolverAddress, type SystemControl } from './system-control.js';

/** --dns-firewall: 'auto' — on a Linux desktop PC; 'on' — wherever the agent runs (tests in a network namespace); 'off' — never. */
export type DnsFirewallChoice = 'auto' | 'on' | 'off';

/** The warning the console shows for a PC whose firewall is not in force (i18n filtering.warning.firewall-failed). */
export const dnsFirewallProblemCode = 'firewall-failed';

export interface DnsFirewallProblem {
  code: typeof dnsFirewallProblemCode;
  detail: string;
}

export interface DnsFirewall {
  /** Why the firewall is not in force, or null when it is. Changes when upstreamsChanged takes it out of force. */
  readonly problem: DnsFirewallProblem | null;
  /**
   * The filter is about to forward to `next` instead of `current` (the system resolver was changed
   * behind it and pointed back; its servers are the way out now). Returns the servers to use: see
   * loopFreeUpstreams. When no server is left that would not loop, the firewall is taken out of
   * force (problem says why) and `next` is used as it is. Never throws.
   */
  upstreamsChanged(next: readonly ResolverAddress[], current: readonly ResolverAddress[]): Promise<ResolverAddress[]>;
  /** Takes it out of force (the agent stops). Never throws: a failure is logged. */
  remove(): Promise<void>;
}

export interface DnsFirewallOptions {
  system: SystemControl;
  /** Where the filter listens now. */
  listening: readonly ResolverAddress[];
  /** The filter's upstreams now. */
  upstreams: readonly ResolverAddress[];
  log: AgentLog;
  /** The agent's user id: its own (upstream) queries are left alone. Default: this process's. */
  agentUid?: number;
  /** The encrypted-DNS resolver list; default: the shipped one. */
  addressesFile?: string;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/%.*$/, '');
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  return net.isIPv6(bare) && new net.SocketAddress({ address: bare, family: 'ipv6' }).address === '::1';
}

function hostPort(a: ResolverAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * An upstream on this PC (NetworkManager's dnsmasq on 127.0.1.1, a static resolv.conf naming
 * 127.0.0.53) is a resolver whose own queries to the network the firewall would send back to the
 * filter, which would ask it again: a loop, and no DNS at all. Such a PC needs its upstreams set.
 */
function localUpstreams(listening: readonly ResolverAddress[], upstreams: readonly ResolverAddress[]): ResolverAddress[] {
  const own = new Set(listening.map(hostPort));
  return upstreams.filter((u) => isLoopback(u.host) && !own.has(hostPort(u)));
}

/**
 * The upstreams the filter may use while the firewall is in force, when the system resolver now
 * names `next` and the filter uses `current`: `next` without its resolvers on this PC (they would
 * loop); if that leaves none, `current` as it is when it loops nowhere either (a lab PC's network
 * rarely changes: NetworkManager switching to its own dnsmasq still resolves through the same
 * servers); else null — no server the filter could use with the firewall in force.
 */
export function loopFreeUpstreams(
  listening: readonly ResolverAddress[],
  next: readonly ResolverAddress[],
  current: readonly ResolverAddress[],
): { servers: ResolverAddress[]; leftOut: ResolverAddress[]; keptCurrent: boolean } | null {
  const local = new Set(localUpstreams(listening, next).map(hostPort));
  const usable = next.filter((u) => !local.has(hostPort(u)));
  const leftOut = next.filter((u) => local.has(hostPort(u)));
  if (usable.length > 0) return { servers: usable, leftOut, keptCurrent: false };
  if (current.length > 0 && localUpstreams(listening, current).length === 0) return { servers: [...current], leftOut, keptCurrent: true };
  return null;
}

/**
 * Puts the DNS firewall in force for a filter that listens. Never throws: a firewall that cannot be
 * put in force is logged once, whatever an earlier run left is removed, and `problem` says why.
 */
export async function turnOnDnsFirewall(options: DnsFirewallOptions): Promise<DnsFirewall> {
  const { system, log } = options;
  try {
    const local = localUpstreams(options.listening, options.upstreams)[0];
    if (local) {
      throw new SystemControlError(
        'firewall-plan-invalid',
        `the filter forwards to a resolver on this PC (${hostPort(local)}) whose own queries the firewall would send back to the filter; give the agent --dns-upstream with the network's DNS servers`,
      );
    }
    const addresses = await readEncryptedDnsAddresses(options.addressesFile).catch((error: unknown) => {
      throw new SystemControlError('firewall-plan-invalid', `cannot read the list of encrypted-DNS resolvers: ${(error as Error).message}`);
    });
    if (addresses.badLines.length > 0) {
      const first = addresses.badLines[0]!;
      log('dns-firewall-list-bad-lines', { count: addresses.badLines.length, first: `line ${first.line}: ${first.reason}` });
    }
    const exemptUid = options.agentUid ?? process.getuid?.() ?? 0;
    await system.applyDnsFirewall({
      filter: [...options.listening],
      exemptUids: [exemptUid],
      encryptedDnsResolvers: [...addresses.ipv4, ...addresses.ipv6],
    });
    log('dns-firewall-on', {
      redirectTo: options.listening.map(hostPort).join(','),
      exemptUid,
      encryptedDnsResolvers: addresses.ipv4.length + addresses.ipv6.length,
    });
    return new FirewallInForce(system, options.listening, log);
  } catch (error) {
    const code = error instanceof SystemControlError ? error.code : 'firewall-refused';
    const detail = (error as Error).message.slice(0, 200);
    log('dns-firewall-failed', { code, message: detail });
    // Nothing was put in force, but a crashed run's table must not stay (it may loop, or point at
    // another port). Where nft is missing or refused, there is nothing it could remove either.
    if (code === 'firewall-plan-invalid') await removeLeftoverDnsFirewall(system, log);
    return {
      problem: { code: dnsFirewallProblemCode, detail },
      upstreamsChanged: async (next) => [...next],
      remove: async () => undefined,
    };
  }
}

/** A firewall this run put in force; upstreamsChanged may take it out of force (see DnsFirewall). */
class FirewallInForce implements DnsFirewall {
  problem: DnsFirewallProblem | null = null;
  private removed: Promise<void> | null = null;

  constructor(
    private readonly system: SystemControl,
    private readonly listening: readonly ResolverAddress[],
    private readonly log: AgentLog,
  ) {}

  async upstreamsChanged(next: readonly ResolverAddress[], current: readonly ResolverAddress[]): Promise<ResolverAddress[]> {
    if (this.problem) return [...next];
    const choice = loopFreeUpstreams(this.listening, next, current);
    if (choice) {
      if (choice.leftOut.length > 0) {
        this.log('dns-upstream-local-left-out', {
          leftOut: choice.leftOut.map(hostPort).join(','),
          using: choice.servers.map(hostPort).join(','),
          keptCurrent: choice.keptCurrent,
          message: 'a resolver on this PC would loop through the DNS firewall',
        });
      }
      return choice.servers;
    }
    // Nothing the filter could ask without a loop: DNS first, the firewall goes, the console hears why.
    const local = localUpstreams(this.listening, next)[0]!;
    const detail = `the system resolver now names a resolver on this PC (${hostPort(local)}) whose own queries the firewall would send back to the filter; give the agent --dns-upstream with the network's DNS servers`;
    this.log('dns-firewall-failed', { code: 'firewall-plan-invalid', message: detail });
    this.problem = { code: dnsFirewallProblemCode, detail };
    await this.remove();
    return [...next];
  }

  remove(): Promise<void> {
    this.removed ??= this.system.removeDnsFirewall().then(
      (outcome) => this.log('dns-firewall-removed', { outcome }),
      (error: unknown) => this.log('dns-firewall-remove-failed', { message: (error as Error).message }),
    );
    return this.removed;
  }
}

/**
 * Removes what an earlier run left (it crashed with the firewall in force: every program's DNS goes
 * to a filter that does not run). Call it whenever no filter will run. Never throws; quiet when
 * there was nothing, or no firewall tool to have made one.
 */
export async function removeLeftoverDnsFirewall(system: SystemControl, log: AgentLog): Promise<void> {
  try {
    const outcome = await system.removeDnsFirewall();
    if (outcome === 'removed') log('dns-firewall-recovered', { outcome });
  } catch (error) {
    if (error instanceof SystemControlError && error.code === 'firewall-unavailable') return;
    log('dns-firewall-recover-failed', { message: (error as Error).message });
  }
}
