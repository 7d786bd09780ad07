// The seam between the agent core and the PC's system settings (resolver and DNS firewall now;
// browser policies and power later). The core never edits OS settings directly; it calls this
// interface. Implementations: ./linux (resolv.conf or systemd-resolved; nftables); win32 comes with
// its own issue.
//
// Planned members, added by the issues that need them (additive, so implementations stay valid):
//   browserPolicies — turn off browser DoH and enforce SafeSearch in Chrome/Edge/Firefox policies
//   power           — shut down, restart, wake-on-LAN helpers
// Until then a caller that asks for one of them gets `SystemControlError('not-implemented')`
// from `notImplemented()` rather than a silent no-op.

/** A DNS server address as the system resolver knows it (plain DNS, port usually 53). */
export interface ResolverAddress {
  host: string;
  port: number;
}

/** Where the agent's DNS filter listens, as the system resolver must be told. */
export interface ResolverTarget {
  /** Loopback addresses the filter answers on (port 53: resolv.conf cannot name another port). */
  addresses: string[];
}

/** How the system resolver was pointed at the filter. */
export type ResolverMethod = 'resolv.conf' | 'systemd-resolved';

export interface ResolverTakeover {
  method: ResolverMethod;
  /** The resolvers the system used before the filter: the filter's upstreams. */
  previousUpstreams: ResolverAddress[];
  /** True when a saved original from an earlier run (crash) was kept rather than saved anew. */
  keptEarlierSave: boolean;
}

/** What `restoreResolver` / `recoverResolver` did. */
export type ResolverRestoreOutcome =
  /** The saved original is back in place, byte for byte. */
  | 'restored'
  /** Someone else (DHCP client, NetworkManager, IT) rewrote the setting since; theirs is kept. */
  | 'left-alone'
  /** Nothing was saved: the filter was not in charge. */
  | 'nothing-saved';

/** A watch on the resolver setting; see SystemControl.watchResolver. */
export interface ResolverWatch {
  /** False once the watch broke (its folder went away, the OS refused): watch again later. */
  readonly alive: boolean;
  close(): void;
}

export interface SystemControl {
  readonly platform: 'linux' | 'win32' | 'simulated';

  /**
   * Points the system resolver at the filter. Saves the current setting first (durably, in the
   * agent data dir) so it can be put back exactly, even after a crash. When a saved original from
   * an earlier run exists it is kept, never overwritten with the filter's own setting — unless
   * `adoptCurrent` is set (the setting was changed behind the filter) and the current setting is no
   * longer the filter's: then the current one becomes the original to put back, and its servers the
   * upstreams.
   */
  pointResolverAtFilter(target: ResolverTarget, options?: { adoptCurrent?: boolean }): Promise<ResolverTakeover>;

  /** Puts the saved original back exactly and forgets it. */
  restoreResolver(): Promise<ResolverRestoreOutcome>;

  /**
   * Undoes what an earlier run left behind (crash, kill, power cut). Call it at every start before
   * the filter listens: a resolver left pointing at a filter that is not running means no DNS at
   * all. The filter points the resolver at itself again only once it listens.
   */
  recoverResolver(): Promise<ResolverRestoreOutcome>;

  /**
   * The resolvers the system used before the filter took over (from the saved original), or the
   * current ones when nothing is saved. Never includes the filter's own addresses.
   */
  systemUpstreams(target: ResolverTarget): Promise<ResolverAddress[]>;

  /** Whether the system resolver currently points at the filter (others may rewrite it). */
  resolverPointsAtFilter(target: ResolverTarget): Promise<boolean>;

  /**
   * Why programs go round the filter although the resolver setting points at it, or null. On Linux
   * in systemd-resolved mode: /etc/resolv.conf no longer sends programs that read it to resolved's
   * stub (someone made it a plain file naming other servers, or linked it to resolved's list of
   * upstream servers). Pointing the setting again cannot fix that; the caller reports it.
   */
  resolverBypass(target: ResolverTarget): Promise<string | null>;

  /**
   * Calls `changed` when the resolver setting may have changed (DHCP, NetworkManager or a person
   * rewrote it; in systemd-resolved mode also /etc/resolv.conf itself). Operating-system
   * notifications, no polling; raw, so our own writes show up too: the caller debounces and asks
   * `resolverPointsAtFilter` and `resolverBypass`.
   */
  watchResolver(changed: () => void): ResolverWatch;

  /**
   * Puts the DNS firewall in force, in one step, replacing whatever rules an earlier run left
   * (crash): the rules themselves are the only saved state. Call it only once the filter listens,
   * or every program loses DNS. Throws `firewall-unavailable` (no firewall tool on this PC) or
   * `firewall-refused` (the OS refused the rules); nothing is changed then.
   */
  applyDnsFirewall(plan: DnsFirewallPlan): Promise<void>;

  /** Removes the DNS firewall, this run's or one a crashed run left. Removing twice is harmless. */
  removeDnsFirewall(): Promise<DnsFirewallRemoveOutcome>;
}

/**
 * What the DNS firewall enforces (see SystemControl.applyDnsFirewall). Every DNS query a program on
 * this PC sends to any server goes to the filter instead, so no program can go round it by asking
 * 8.8.8.8 itself, and no system resolver setting (systemd-resolved's per-link servers) decides
 * whether a name is filtered.
 */
export interface DnsFirewallPlan {
  /** Where the filter answers, as it listens (0.0.0.0 / :: mean every local address). */
  filter: ResolverAddress[];
  /** Programs of these user ids keep their DNS as it is: the agent's own, whose upstream queries must leave. */
  exemptUids: number[];
  /**
   * Public resolvers that also speak encrypted DNS: single addresses or CIDR prefixes. Nothing but
   * plain DNS (redirected to the filter) may reach them, so DoH and DoQ by bare address fail.
   */
  encryptedDnsResolvers: string[];
}

/** What `removeDnsFirewall` found. */
export type DnsFirewallRemoveOutcome = 'removed' | 'nothing-there';

export type SystemControlErrorCode =
  | 'not-implemented'
  | 'resolver-unreadable'
  | 'resolver-write-failed'
  | 'saved-state-corrupt'
  | 'command-failed'
  | 'firewall-plan-invalid'
  | 'firewall-unavailable'
  | 'firewall-refused';

/** Failures of system changes, with a stable code for the agent core and logs. */
export class SystemControlError extends Error {
  readonly code: SystemControlErrorCode;
  constructor(code: SystemControlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SystemControlError';
    this.code = code;
  }
}

/** For capabilities whose platform implementation has not landed yet. */
export function notImplemented(what: string, platform: string): never {
  throw new SystemControlError('not-implemented', `${what} is not implemented on ${platform} yet`);
}
