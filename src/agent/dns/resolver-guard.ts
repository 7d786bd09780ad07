// Keeps the system resolver pointed at the web filter while it runs. DHCP clients, NetworkManager
// or a person may point it elsewhere at any time, and nothing would filter from then on. The guard
// watches the setting (operating-system notifications, debounced; one rare, cheap fallback check),
// points it back — taking the new setting as the one to restore when filtering stops, since that
// is what the network wants now — counts each time it happened and tells the agent core, which
// tells the console.
//
// Bounded: a program that rewrites the setting as fast as we do would make an endless fight, so
// after `maxResolverRepointsPerWindow` re-points in a window the guard stops, reports the resolver
// as contested, and tries again once the window has passed.
//
// A pointing that fails is undone, and undoing it rewrites the watched setting: the guard then waits
// for its fallback check to try again, or that change would set off the next attempt, endlessly.
//
// A setting that still points here can be bypassed all the same (systemd-resolved mode with
// /etc/resolv.conf re-pointed away from resolved's stub): pointing again would not help, so the
// guard reports it as 'resolver-bypassed' until the bypass is gone.

import type { AgentLog } from '../log.js';
import type { ResolverTakeover, ResolverTarget, ResolverWatch, SystemControl } from '../system/system-control.js';

/** A burst of writes (temp file, rename, chmod) is one change: checked once after it settles. */
export const resolverChangeDebounceMs = 300;
/** A fallback check in case a notification was missed (bind-mounted files, broken watch). */
export const resolverFallbackCheckMs = 5 * 60_000;
/** Re-points allowed per window before the guard stops fighting and reports the resolver contested. */
export const maxResolverRepointsPerWindow = 6;
export const resolverRepointWindowMs = 10 * 60_000;

export type ResolverProblemCode = 'resolver-failed' | 'resolver-contested' | 'resolver-bypassed';

export interface ResolverProblem {
  code: ResolverProblemCode;
  detail: string;
}

export interface ResolverGuardStatus {
  /** Whether the system resolver pointed at the filter at the last look. */
  pointed: boolean;
  /** Times it was found pointing elsewhere since the filter started, and when last (ms). */
  drift: { count: number; lastAt: number } | null;
  /** Why the resolver does not point at the filter, or null. */
  problem: ResolverProblem | null;
}

export interface ResolverGuardOptions {
  system: SystemControl;
  target: ResolverTarget;
  log: AgentLog;
  /**
   * The resolver was pointed at the filter (again): the servers of the setting it replaced. Awaited
   * (the filter checks them for a loop before it forwards there).
   */
  onPointed(takeover: ResolverTakeover): void | Promise<void>;
  /** status() changed: drift counted, a problem began or ended. */
  onChange(): void;
  now?: () => number;
  debounceMs?: number;
  fallbackCheckMs?: number;
  maxRepointsPerWindow?: number;
  repointWindowMs?: number;
}

export class ResolverGuard {
  private readonly options: ResolverGuardOptions;
  private readonly now: () => number;
  private watch: ResolverWatch | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private fallback: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private checkAgain = false;
  private repoints: number[] = [];
  /** A pointing failed: changes to the setting (our own undo among them) wait for the fallback check. */
  private waitForFallback = false;
  private closed = false;
  private current: ResolverGuardStatus = { pointed: false, drift: null, problem: null };

  constructor(options: ResolverGuardOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  status(): ResolverGuardStatus {
    return { ...this.current, drift: this.current.drift ? { ...this.current.drift } : null };
  }

  /**
   * Points the resolver at the filter (the filter listens already) and starts watching. A failed
   * pointing is undone (a half-written systemd-resolved drop-in must not stay) and reported; the
   * fallback check tries again later.
   */
  async start(): Promise<ResolverGuardStatus> {
    await this.point(false);
    // Pointed, but perhaps bypassed already (resolved mode with resolv.conf elsewhere).
    if (this.current.pointed && !this.closed) await this.check();
    if (!this.closed) {
      this.watchAgain();
      this.fallback = setInterval(() => {
        if (!this.watch?.alive) this.watchAgain();
        this.waitForFallback = false;
        this.scheduleCheck(0);
      }, this.options.fallbackCheckMs ?? resolverFallbackCheckMs);
      this.fallback.unref();
    }
    return this.status();
  }

  /** Stops watching (before the filter puts the original back, so that is not taken for drift). */
  close(): void {
    this.closed = true;
    this.watch?.close();
    this.watch = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.fallback) clearInterval(this.fallback);
    this.debounce = this.fallback = null;
  }

  /**
   * Stops watching and waits for a check still writing (NetworkManager rewrote the file just as
   * the agent stops): the filter's restore must come after it, or the PC would be left pointing at
   * a filter that no longer runs.
   */
  async stop(): Promise<void> {
    this.close();
    const running = this.checking;
    if (running) await running;
  }

  /** Resolves once no check is running or pending (tests). */
  async settled(): Promise<void> {
    for (let i = 0; i < 10 && (this.checking || this.debounce); i++) {
      if (this.checking) await this.checking;
      else await new Promise((resolve) => setTimeout(resolve, this.options.debounceMs ?? resolverChangeDebounceMs));
    }
  }

  private watchAgain(): void {
    this.watch?.close();
    this.watch = this.options.system.watchResolver(() => this.scheduleCheck(this.options.debounceMs ?? resolverChangeDebounceMs));
  }

  private scheduleCheck(delayMs: number): void {
    if (this.closed) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.check();
    }, delayMs);
    this.debounce.unref();
  }

  /** One check at a time; a change during a check makes one more after it. */
  private check(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        do {
          this.checkAgain = false;
          await this.checkOnce();
        } while (this.checkAgain && !this.closed);
      } catch (error) {
        this.options.log('dns-resolver-check-failed', { reason: (error as Error).message });
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.closed || this.waitForFallback) return;
    const { system, target, log } = this.options;
    const points = await system.resolverPointsAtFilter(target).catch(() => false);
    if (this.closed) return;
    if (points) {
      const bypass = await system.resolverBypass(target).catch((error: unknown) => {
        log('dns-resolver-check-failed', { reason: (error as Error).message });
        return null;
      });
      if (this.closed) return;
      if (bypass) {
        if (this.current.problem?.code === 'resolver-bypassed' && this.current.problem.detail === bypass.slice(0, 200)) return;
        log('dns-resolver-bypassed', { message: bypass });
        const drift = this.current.pointed ? { count: (this.current.drift?.count ?? 0) + 1, lastAt: this.now() } : this.current.drift;
        this.update({ pointed: false, drift, problem: { code: 'resolver-bypassed', detail: bypass.slice(0, 200) } });
        return;
      }
      if (!this.current.pointed || this.current.problem) {
        if (this.current.problem?.code === 'resolver-bypassed') log('dns-resolver-bypass-over', {});
        this.update({ pointed: true, problem: null });
      }
      return;
    }
    if (this.current.pointed) {
      const count = (this.current.drift?.count ?? 0) + 1;
      log('dns-resolver-changed-behind', { count, message: 'the system resolver no longer points at the web filter' });
      this.update({ pointed: false, drift: { count, lastAt: this.now() } });
    }
    const windowMs = this.options.repointWindowMs ?? resolverRepointWindowMs;
    const now = this.now();
    this.repoints = this.repoints.filter((at) => now - at < windowMs);
    if (this.repoints.length >= (this.options.maxRepointsPerWindow ?? maxResolverRepointsPerWindow)) {
      if (this.current.problem?.code !== 'resolver-contested') {
        log('dns-resolver-contested', { repoints: this.repoints.length, windowMs });
        this.update({ problem: { code: 'resolver-contested', detail: `changed back ${this.repoints.length} times in ${Math.round(windowMs / 60_000)} min` } });
      }
      return;
    }
    await this.point(true);
  }

  private async point(adoptCurrent: boolean): Promise<void> {
    const { system, target, log } = this.options;
    try {
      const takeover = await system.pointResolverAtFilter(target, { adoptCurrent });
      if (adoptCurrent) this.repoints.push(this.now());
      this.waitForFallback = false;
      if (this.closed) return;
      await this.options.onPointed(takeover);
      log(adoptCurrent ? 'dns-resolver-pointed-again' : 'dns-resolver-pointed', {
        method: takeover.method,
        keptEarlierSave: takeover.keptEarlierSave,
        upstreams: takeover.previousUpstreams.map((u) => u.host).join(','),
      });
      this.update({ pointed: true, problem: null });
    } catch (error) {
      const detail = (error as Error).message.slice(0, 200);
      log('dns-resolver-failed', { message: detail });
      this.waitForFallback = true;
      // Undo what may be half done (a drop-in written, resolved not reloaded) so the PC keeps DNS.
      await system.restoreResolver().then(
        (outcome) => log('dns-resolver-restored', { outcome }),
        (restoreError: unknown) => log('dns-resolver-restore-failed', { message: (restoreError as Error).message }),
      );
      if (!this.closed) this.update({ pointed: false, problem: { code: 'resolver-failed', detail } });
    }
  }

  private update(change: Partial<ResolverGuardStatus>): void {
    const next = { ...this.current, ...change };
    const same = JSON.stringify(next) === JSON.stringify(this.current);
    this.current = next;
    if (!same) this.options.onChange();
  }
}
