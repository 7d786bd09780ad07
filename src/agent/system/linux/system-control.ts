// Linux implementation of the SystemControl seam (resolver only for now; see ../system-control.ts).

import { LinuxResolver, type LinuxResolverOptions } from './resolver.js';
import type { ResolverAddress, ResolverRestoreOutcome, ResolverTakeover, ResolverTarget, ResolverWatch, SystemControl } from '../system-control.js';

export type LinuxSystemControlOptions = LinuxResolverOptions;

export class LinuxSystemControl implements SystemControl {
  readonly platform = 'linux' as const;
  readonly resolver: LinuxResolver;

  constructor(options: LinuxSystemControlOptions) {
    this.resolver = new LinuxResolver(options);
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

  watchResolver(changed: () => void): ResolverWatch {
    return this.resolver.watch(changed);
  }
}
