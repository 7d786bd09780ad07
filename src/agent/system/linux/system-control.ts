// Linux implementation of the SystemControl seam: the resolver (./resolver.ts) and the DNS
// firewall (./firewall.ts); see ../system-control.ts.

import { LinuxFirewall, type LinuxFirewallOptions } from './firewall.js';
import { LinuxResolver, type LinuxResolverOptions } from './resolver.js';
import type {
  DnsFirewallPlan,
  DnsFirewallRemoveOutcome,
  ResolverAddress,
  ResolverRestoreOutcome,
  ResolverTakeover,
  ResolverTarget,
  ResolverWatch,
  SystemControl,
} from '../system-control.js';

export interface LinuxSystemControlOptions extends LinuxResolverOptions {
  firewall?: LinuxFirewallOptions;
}

export class LinuxSystemControl implements SystemControl {
  readonly platform = 'linux' as const;
  readonly resolver: LinuxResolver;
  readonly firewall: LinuxFirewall;

  constructor(options: LinuxSystemControlOptions) {
    const { firewall, ...resolver } = options;
    this.resolver = new LinuxResolver(resolver);
    this.firewall = new LinuxFirewall(firewall);
  }

  pointResolverAtFilter(target: ResolverTarget, options?: { adoptCurrent?: boolean }): Promise<ResolverTakeover> {
    return this.resolver.pointAtFilter(target, options);
  }

  restoreResolver(): Promise<ResolverRestoreOutcome> {
    return this.resolver.restore();
  }

  recoverResolver(): Promise<ResolverRestoreOutcome> {
    // The same as a restore: the saved state file is the only trace a crashed run leaves.
    return this.resolver.restore();
  }

  systemUpstreams(target: ResolverTarget): Promise<ResolverAddress[]> {
    return this.resolver.upstreams(target);
  }

  resolverPointsAtFilter(target: ResolverTarget): Promise<boolean> {
    return this.resolver.pointsAtFilter(target);
  }

  resolverBypass(target: ResolverTarget): Promise<string | null> {
    return this.resolver.bypass(target);
  }

  watchResolver(changed: () => void): ResolverWatch {
    return this.resolver.watch(changed);
  }

  applyDnsFirewall(plan: DnsFirewallPlan): Promise<void> {
    return this.firewall.apply(plan);
  }

  removeDnsFirewall(): Promise<DnsFirewallRemoveOutcome> {
    return this.firewall.remove();
  }
}
