// The agent side of web filtering: assembles filter-list chunks from the console, installs a
// list + profile into the DNS filter on `setFilter`, reports blocked attempts in small batches, and
// tells the console when the filter cannot protect this PC (it could not start, the system
// resolver was pointed elsewhere, the saved list could not be read, the DNS firewall is not in
// force) so nobody reads "applied" for a PC that filters nothing.
//
// A saved list that could not be loaded at start (another SafeLab version wrote it, or it is
// damaged) is not claimed: the state names no list, so the console sends its list at once on
// connect instead of first trying a profile switch over a list this PC does not hold.

import { createHash } from 'node:crypto';
import { decodeFilterChunk } from '../shared/protocol/frame.js';
import { ProtocolError } from '../shared/protocol/errors.js';
import { maxBlockedAttemptsPerReport } from '../shared/protocol/limits.js';
import type { AgentFilterProblem, AgentFilterState, AgentMessage, Command } from '../shared/protocol/messages.js';
import type { LoadOutcome } from './dns/matcher-store.js';
import type { WebFilter } from './dns/web-filter.js';
import type { AgentLog } from './log.js';

type SetFilter = Extract<Command, { name: 'setFilter' }>;

/**
 * Blocked attempts wait this long before a report goes out, so a page that asks for twenty
 * blocked trackers costs one message, not twenty. The timer only exists while attempts wait.
 */
export const blockedReportDelayMs = 1_000;

/** A command failure the ack reports with its code. */
export class WebFilteringError extends Error {
  constructor(
    readonly code: 'filter-list-missing' | 'filter-list-corrupt' | 'filter-unavailable' | 'filter-rejected',
    message: string,
  ) {
    super(message);
    this.name = 'WebFilteringError';
  }
}

/** Why the filter does not protect this PC (see agentFilterProblemSchema for the codes). */
export type FilterProblem = AgentFilterProblem;

/** The problem a saved list that could not be loaded at start causes, until a list is installed. */
const savedListProblems: Partial<Record<LoadOutcome, FilterProblem>> = {
  unsupported: {
    code: 'list-format-unsupported',
    detail: 'the filter list saved on this PC was written by another SafeLab version; waiting for the console to send its list',
  },
  corrupt: { code: 'list-corrupt', detail: 'the filter list saved on this PC is damaged; waiting for the console to send its list' },
};

interface PendingTransfer {
  transferId: number;
  bytes: Uint8Array;
  received: number;
}

export interface WebFilteringOptions {
  /** Null when this agent runs no DNS filter (it could not start: see `startProblem`). */
  webFilter: WebFilter | null;
  /** Why the filter that should run did not start (listen-failed), or null. */
  startProblem?: FilterProblem | null;
  /** The filter state persisted at the last install (list hash, profile). */
  initial: Omit<AgentFilterState, 'listening'> | undefined;
  log: AgentLog;
}

export class WebFiltering {
  private transfer: PendingTransfer | null = null;
  private current: Omit<AgentFilterState, 'listening'> | undefined;
  private reportTimer: NodeJS.Timeout | null = null;
  private send: ((message: AgentMessage) => void) | null = null;

  constructor(private readonly options: WebFilteringOptions) {
    this.current = options.initial;
  }

  /** What hello, every ack and every filterStatus report. */
  state(): AgentFilterState | undefined {
    const web = this.options.webFilter;
    if (!web) {
      const problem = this.options.startProblem;
      return problem ? { ...this.current, listening: [], problem: { ...problem } } : undefined;
    }
    const status = web.status();
    const listening = status.listening.map((l) => (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`));
    // No list in force: name none, whatever state.json remembers.
    const state: AgentFilterState = status.active ? { ...this.current, listening } : { listening };
    const guard = status.resolverGuard;
    const listProblem = status.active ? undefined : savedListProblems[status.startedFrom];
    // A resolv.conf that goes round systemd-resolved still sends its programs' queries to other
    // machines, which the firewall in force redirects to the filter: no hole then.
    const firewallInForce = status.firewall !== null && status.firewall.problem === null;
    const guardProblem = guard?.problem && !(guard.problem.code === 'resolver-bypassed' && firewallInForce) ? guard.problem : null;
    // The resolver's problem first: with it, nothing is filtered; then a missing list (only the
    // built-in rules); without the firewall, what asks the system resolver still is filtered.
    if (guardProblem) state.problem = { code: guardProblem.code, detail: guardProblem.detail };
    else if (listProblem) state.problem = { ...listProblem };
    else if (status.firewall?.problem) state.problem = { code: status.firewall.problem.code, detail: status.firewall.problem.detail };
    if (guard?.drift) state.resolverDrift = { ...guard.drift };
    return state;
  }

  /** The resolver part of the filter changed (pointed back after a change, a problem began or ended): tell the console now. */
  onFilterStatusChange = (): void => {
    const filter = this.state();
    if (this.send && filter) this.send({ type: 'filterStatus', filter });
  };

  /** What to persist in state.json after an install. */
  persisted(): Omit<AgentFilterState, 'listening'> | undefined {
    return this.current;
  }

  /** Sets (or clears) where blocked-attempt reports go: the authenticated console link. */
  attach(send: ((message: AgentMessage) => void) | null): void {
    this.send = send;
    if (send) this.scheduleReport();
  }

  /** A filter-list chunk frame; a new transfer id replaces an unfinished one. */
  onChunk(frame: Uint8Array): void {
    // Nothing could ever install it: refuse at once rather than assemble up to 64 MB.
    if (!this.options.webFilter) throw new ProtocolError('frame-unexpected', 'this PC runs no web filter');
    const chunk = decodeFilterChunk(frame);
    let t = this.transfer;
    if (!t || t.transferId !== chunk.transferId) {
      if (chunk.offset !== 0) throw new ProtocolError('frame-malformed', `filter chunk at ${chunk.offset} of an unknown transfer`);
      // One buffer of the announced size (bounded by maxFilterListBytes in the codec).
      t = this.transfer = { transferId: chunk.transferId, bytes: new Uint8Array(chunk.total), received: 0 };
    }
    if (chunk.total !== t.bytes.byteLength || chunk.offset !== t.received) {
      this.transfer = null;
      throw new ProtocolError('frame-malformed', 'filter chunks out of order; transfer dropped');
    }
    t.bytes.set(chunk.data, chunk.offset);
    t.received += chunk.data.byteLength;
  }

  /** Runs a setFilter command: install the sent list, or switch profile over the list in force. */
  async apply(command: SetFilter): Promise<void> {
    const web = this.options.webFilter;
    if (!web) throw new WebFilteringError('filter-unavailable', 'this PC runs no web filter (started without a DNS listener)');
    const { list, profile } = command;
    if (list.transferId === undefined) {
      if (this.current?.listSha256 !== list.sha256 || web.status().active === null) {
        throw new WebFilteringError('filter-list-missing', 'the named filter list is not on this PC; send it');
      }
      await web.setProfile(profile);
    } else {
      const t = this.transfer;
      this.transfer = null;
      if (!t || t.transferId !== list.transferId || t.received !== t.bytes.byteLength || t.bytes.byteLength !== list.bytes) {
        throw new WebFilteringError('filter-list-missing', 'the filter list transfer is incomplete');
      }
      const sha256 = createHash('sha256').update(t.bytes).digest('hex');
      if (sha256 !== list.sha256) {
        throw new WebFilteringError('filter-list-corrupt', 'the filter list arrived damaged (SHA-256 mismatch); the previous list stays in force');
      }
      try {
        const result = await web.install(t.bytes, profile);
        if (!result.persisted) this.options.log('filter-not-persisted', { reason: 'the list is in force but could not be saved' });
      } catch (error) {
        throw new WebFilteringError('filter-rejected', `the filter list was refused (${(error as Error).message}); the previous list stays in force`);
      }
    }
    this.current = { listSha256: list.sha256, profileId: profile.id, mode: profile.mode };
    this.options.log('filter-installed', { profile: profile.id, mode: profile.mode, sent: list.transferId !== undefined });
  }

  /** The DNS filter queued a blocked attempt after its queue was empty. */
  onBlockedAttempt = (): void => {
    this.scheduleReport();
  };

  private scheduleReport(): void {
    if (this.reportTimer || !this.send || !this.options.webFilter) return;
    if (this.options.webFilter.status().queuedBlockedAttempts === 0) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      const send = this.send;
      const web = this.options.webFilter;
      if (!send || !web) return;
      const attempts = web.drainBlockedAttempts(maxBlockedAttemptsPerReport);
      if (attempts.length > 0) send({ type: 'blocked', attempts, sentAt: Date.now() });
      // More waiting (a burst larger than one report): the next batch follows after the delay.
      this.scheduleReport();
    }, blockedReportDelayMs);
    this.reportTimer.unref();
  }

  close(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    this.send = null;
    this.transfer = null;
  }
}
