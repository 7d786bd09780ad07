// Pushing the web filter to agents: after hello, and whenever the lab's profile or the list changes.
//
// Per PC: if it already holds the list in force (its state names the same SHA-256), only the
// profile is switched (setFilter without transferId; PCs switching to the same profile in the same
// tick share one command, serialised once); otherwise the list travels as chunk frames first
// (transfer.ts paces them) and setFilter names the transfer. An ack failing with
// filter-list-missing or filter-list-corrupt makes one resend with a fresh transfer; any other
// failure is recorded as the PC's status and shown to the UI (filter.machine events).
//
// One push per PC at a time, and at most one more queued behind it, which reads the wanted profile
// when it starts: a burst of changes (lesson start, then a profile edit) ends with the PC on the
// latest rules, never with an older command overtaking a newer one.

import { randomUUID } from 'node:crypto';
import type { MachineFilterState, MachineFilterStatus } from '../../shared/api/contract.js';
import type { FilterProfile } from '../../shared/filtering/profile.js';
import { encodeMessage } from '../../shared/protocol/codec.js';
import type { AgentFilterState, AgentMessage, AgentState, Command } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { AgentHub } from '../agent-hub/hub.js';
import type { EventBus } from '../api/events.js';
import { CommandRun } from '../commands/command-run.js';
import { ListFrames, type CurrentList } from './lists.js';
import { sendFrames, TransferSlots } from './transfer.js';

/** How long an agent has to verify and install a list it just received (hash, load, save to disk). */
export const filterInstallTimeoutMs = 30_000;
/** Resends of the list after a transfer the agent found incomplete or damaged. */
export const maxListResends = 1;
/** The capability an agent announces when it can filter. */
export const webFilterCapability = 'web-filter';
/** A PC whose push failed is tried again after this, doubling up to the cap (reset on success). */
export const failedPushRetryMs = 60_000;
export const maxFailedPushRetryMs = 30 * 60_000;

export interface WantedProfile {
  profile: FilterProfile;
  /** profileKey(profile): equal keys, equal rules. */
  key: string;
}

export interface FilterPushOptions {
  hub: AgentHub;
  events: EventBus;
  log(line: string): void;
  /** The list in force, or null before the first compile. */
  currentList(): CurrentList | null;
  /** What a lab's PCs must enforce now. */
  wanted(labId: string | null): WantedProfile;
  /** Ack timeout for a profile switch (the console's command timeout). */
  commandTimeoutMs: number;
  installTimeoutMs?: number;
  maxConcurrentTransfers?: number;
}

interface Outcome {
  ok: boolean;
  /** The agent's error code when it answered with one. */
  code: string | null;
  /** 'timeout', 'disconnected' or the agent's message. */
  reason: string | null;
}

interface Target {
  readonly connection: AgentConnection;
  /** The push running now (or resolved). */
  tail: Promise<void>;
  /** The push waiting behind it, if any. */
  queued: Promise<void> | null;
  /** `${profileKey}/${listSha256}` the PC last acknowledged. */
  applied: string | null;
  status: MachineFilterStatus | null;
  /** The next try after a failure, and how long the one after it waits. */
  retryTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
}

interface SwitchBatch {
  readonly targets: Target[];
  results: Promise<Map<string, Outcome>>;
}

/** The filter part of the state an agent last reported. */
export function agentFilterOf(connection: AgentConnection): AgentFilterState | undefined {
  try {
    return (JSON.parse(connection.stateJson || '{}') as Partial<AgentState>).filter;
  } catch {
    return undefined;
  }
}

/**
 * Why a PC cannot filter at all, or null when it can: no filter in this agent version, no DNS
 * listener configured, or the agent's own reason its listener did not start ('listen-failed').
 */
export function notFilteringReason(capabilities: readonly string[], filter: AgentFilterState | undefined): string | null {
  if (!capabilities.includes(webFilterCapability)) return 'no-capability';
  if (!filter || !filter.listening || filter.listening.length === 0) return filter?.problem?.code ?? 'no-dns-listener';
  return null;
}

/**
 * Agent problems that leave the filter running and in use by the system resolver, but open to
 * programs that go round it (no DNS firewall: they may ask 8.8.8.8 themselves, or use encrypted DNS).
 * Such a PC filters, and says so with a warning; it is not shown as a PC that filters nothing.
 */
export const bypassProblemCodes: ReadonlySet<string> = new Set(['firewall-failed']);

function runningProblem(filter: AgentFilterState | undefined): string | null {
  return filter?.listening && filter.listening.length > 0 && filter.problem ? filter.problem.code : null;
}

/**
 * Why a PC whose filter runs still is not protected (its system resolver points elsewhere), or
 * null. Its list and profile are kept up to date all the same: they hold again once it is fixed.
 */
export function notProtectedReason(filter: AgentFilterState | undefined): string | null {
  const code = runningProblem(filter);
  return code !== null && !bypassProblemCodes.has(code) ? code : null;
}

/** The gap in a filter that runs and is used (see bypassProblemCodes), or null. */
export function filterWarning(filter: AgentFilterState | undefined): string | null {
  const code = runningProblem(filter);
  return code !== null && bypassProblemCodes.has(code) ? code : null;
}

/**
 * What the agent last said about its filter: a warning (unless the PC does not filter at all: the
 * reason then says everything), its own words about the problem, and its resolver-drift count.
 */
export function addAgentReport(status: MachineFilterStatus, filter: AgentFilterState | undefined): void {
  const warning = filterWarning(filter);
  if (warning !== null && status.state !== 'not-filtering') status.warning = warning;
  if (filter?.problem && (status.reason === filter.problem.code || status.warning === filter.problem.code)) status.detail = filter.problem.detail;
  if (filter?.resolverDrift) status.resolverDrift = { ...filter.resolverDrift };
}

export class FilterPush {
  private readonly options: FilterPushOptions;
  private readonly targets = new Map<string, Target>();
  private readonly slots: TransferSlots;
  private readonly frames = new ListFrames();
  /** Agent error codes of setFilter commands in flight: command id -> machine id -> code. */
  private readonly codes = new Map<string, Map<string, string>>();
  private readonly batches = new Map<string, SwitchBatch>();
  private closed = false;

  constructor(options: FilterPushOptions) {
    this.options = options;
    this.slots = new TransferSlots(options.maxConcurrentTransfers);
  }

  /** The agent said hello: bring it to the lab's current filter. */
  machineReady(connection: AgentConnection): Promise<void> {
    const previous = this.targets.get(connection.machineId);
    if (previous) this.cancelRetry(previous);
    const target: Target = { connection, tail: Promise.resolve(), queued: null, applied: null, status: null, retryTimer: null, retryDelayMs: failedPushRetryMs };
    this.targets.set(connection.machineId, target);
    return this.schedule(target);
  }

  disconnected(connection: AgentConnection): void {
    const target = this.targets.get(connection.machineId);
    if (!target || target.connection !== connection) return;
    this.cancelRetry(target);
    this.targets.delete(connection.machineId);
    this.setStatus(target, 'offline', {}, true);
  }

  /** Notes the error code of a failed setFilter ack (call before Commands.onAck settles it). */
  noteAck(connection: AgentConnection, ack: Extract<AgentMessage, { type: 'ack' }>): void {
    if (!ack.ok) this.codes.get(ack.id)?.set(connection.machineId, ack.error?.code ?? 'command-failed');
  }

  /** The agent reported a change of its filter on its own (resolver changed behind it, a problem began or ended). */
  filterStatusChanged(connection: AgentConnection): Promise<void> {
    const target = this.targets.get(connection.machineId);
    return target && target.connection === connection ? this.schedule(target) : Promise.resolve();
  }

  /** Pushes to every online PC of the lab (null: PCs in no lab); resolves when each has settled. */
  pushLab(labId: string | null): Promise<void> {
    const work: Promise<void>[] = [];
    for (const target of this.targets.values()) if (target.connection.labId === labId) work.push(this.schedule(target));
    return Promise.all(work).then(() => undefined);
  }

  pushAll(): Promise<void> {
    return Promise.all([...this.targets.values()].map((t) => this.schedule(t))).then(() => undefined);
  }

  pushMachine(machineId: string): Promise<void> {
    const target = this.targets.get(machineId);
    return target ? this.schedule(target) : Promise.resolve();
  }

  /** The push status of an online PC (null when it is not connected). */
  statusOf(machineId: string): MachineFilterStatus | null {
    const target = this.targets.get(machineId);
    if (!target) return null;
    return target.status ?? this.statusFor(target, 'pending');
  }

  close(): void {
    this.closed = true;
    for (const target of this.targets.values()) this.cancelRetry(target);
  }

  private cancelRetry(target: Target): void {
    if (target.retryTimer) clearTimeout(target.retryTimer);
    target.retryTimer = null;
  }

  /** Tries a failed PC again later (a PC that was busy or briefly unreachable must not stay unfiltered). */
  private retryLater(target: Target): void {
    if (this.closed || target.retryTimer || this.targets.get(target.connection.machineId) !== target) return;
    const delay = target.retryDelayMs;
    target.retryDelayMs = Math.min(maxFailedPushRetryMs, delay * 2);
    target.retryTimer = setTimeout(() => {
      target.retryTimer = null;
      void this.schedule(target);
    }, delay);
    target.retryTimer.unref();
  }

  // ---- one PC --------------------------------------------------------------------------------

  private schedule(target: Target): Promise<void> {
    if (target.queued) return target.queued;
    const run = target.tail.then(() => {
      target.queued = null;
      return this.pushOne(target);
    });
    const guarded = run.catch((error: unknown) => {
      this.options.log(`web-filtering: ${target.connection.label}: push failed inside the console: ${(error as Error)?.stack ?? String(error)}`);
      this.setStatus(target, 'failed', { reason: 'internal' });
      this.retryLater(target);
    });
    target.queued = guarded;
    target.tail = guarded;
    return guarded;
  }

  private async pushOne(target: Target): Promise<void> {
    const { connection } = target;
    if (this.closed || !connection.open || this.targets.get(connection.machineId) !== target) return;
    const reason = notFilteringReason(connection.capabilities, agentFilterOf(connection));
    if (reason) {
      this.setStatus(target, 'not-filtering', { reason });
      return;
    }
    const list = this.options.currentList();
    if (!list) {
      // The first compile is running; its newList() pushes to everyone.
      this.setStatus(target, 'pending', { reason: 'list-not-ready' });
      return;
    }
    const wanted = this.options.wanted(connection.labId);
    const key = `${wanted.key}/${list.sha256}`;
    if (target.applied === key && agentFilterOf(connection)?.listSha256 === list.sha256) {
      this.settle(target, { wanted });
      return;
    }

    this.setStatus(target, 'pending', { wanted });
    let sentList = false;
    let outcome: Outcome;
    if (agentFilterOf(connection)?.listSha256 === list.sha256) {
      outcome = await this.switchProfile(target, list, wanted);
      if (!outcome.ok && outcome.code === 'filter-list-missing') {
        // The state it reported was older than what it holds now (e.g. its saved list was damaged).
        sentList = true;
        outcome = await this.sendList(target, list, wanted, false);
      }
    } else {
      sentList = true;
      outcome = await this.sendList(target, list, wanted, false);
    }
    if (this.closed) return;
    for (let resends = 0; sentList && !outcome.ok && resends < maxListResends && connection.open && !this.closed; resends++) {
      if (outcome.code !== 'filter-list-missing' && outcome.code !== 'filter-list-corrupt') break;
      this.options.log(`web-filtering: ${connection.label}: the list arrived ${outcome.code === 'filter-list-corrupt' ? 'damaged' : 'incomplete'}; sending it again`);
      outcome = await this.sendList(target, list, wanted, true);
    }

    if (this.closed) return;
    if (outcome.ok) {
      target.applied = key;
      target.retryDelayMs = failedPushRetryMs;
      this.cancelRetry(target);
      this.settle(target, { wanted, sentList });
      this.options.log(`web-filtering: ${connection.label}: ${wanted.profile.id} (${wanted.profile.mode}) in force, list ${list.sha256.slice(0, 12)} ${sentList ? 'sent' : 'already there'}`);
    } else if (outcome.code === 'filter-unavailable') {
      this.setStatus(target, 'not-filtering', { wanted, reason: 'no-dns-listener' });
    } else if (outcome.reason === 'disconnected' || !connection.open) {
      this.setStatus(target, 'offline', { wanted });
    } else {
      const why = outcome.code ?? outcome.reason ?? 'failed';
      this.setStatus(target, 'failed', { wanted, reason: why, sentList });
      this.retryLater(target);
      this.options.log(`web-filtering: ${connection.label}: setting the filter failed: ${why}${outcome.reason && outcome.reason !== why ? ` (${outcome.reason})` : ''}`);
    }
  }

  /** The PC holds the wanted rules: 'applied' (with a warning when programs can go round it), unless its resolver does not use the filter. */
  private settle(target: Target, extra: { wanted: WantedProfile; sentList?: boolean }): void {
    const reason = notProtectedReason(agentFilterOf(target.connection));
    this.setStatus(target, reason ? 'not-filtering' : 'applied', reason ? { ...extra, reason } : extra);
  }

  /** Profile-only switch; PCs switching to the same rules in the same tick share one command. */
  private switchProfile(target: Target, list: CurrentList, wanted: WantedProfile): Promise<Outcome> {
    const batchKey = `${wanted.key}/${list.sha256}`;
    let batch = this.batches.get(batchKey);
    if (!batch) {
      const created: SwitchBatch = { targets: [], results: Promise.resolve(new Map()) };
      created.results = new Promise((resolve) =>
        setImmediate(() => {
          this.batches.delete(batchKey);
          const command: Command = { name: 'setFilter', profile: wanted.profile, list: { sha256: list.sha256, bytes: list.bytes.byteLength } };
          resolve(this.command(created.targets, command, this.options.commandTimeoutMs));
        }),
      );
      this.batches.set(batchKey, created);
      batch = created;
    }
    batch.targets.push(target);
    return batch.results.then((results) => results.get(target.connection.machineId) ?? { ok: false, code: null, reason: 'disconnected' });
  }

  /** Sends the list (in a transfer slot, paced by the socket) and then the setFilter naming it. */
  private async sendList(target: Target, list: CurrentList, wanted: WantedProfile, fresh: boolean): Promise<Outcome> {
    const { connection } = target;
    this.setStatus(target, 'pending', { wanted, sentList: true, reason: 'waiting-for-transfer-slot' });
    const release = await this.slots.acquire();
    try {
      if (!connection.open || this.closed) return { ok: false, code: null, reason: 'disconnected' };
      this.setStatus(target, 'sending', { wanted, sentList: true });
      const { transferId, frames } = this.frames.framesFor(list, fresh);
      this.options.log(`web-filtering: ${connection.label}: sending list ${list.sha256.slice(0, 12)} (${list.bytes.byteLength} bytes in ${frames.length} chunks)`);
      try {
        await sendFrames(connection, frames);
      } catch {
        return { ok: false, code: null, reason: 'disconnected' };
      }
      const command: Command = { name: 'setFilter', profile: wanted.profile, list: { sha256: list.sha256, bytes: list.bytes.byteLength, transferId } };
      const results = await this.command([target], command, this.options.installTimeoutMs ?? filterInstallTimeoutMs);
      return results.get(connection.machineId) ?? { ok: false, code: null, reason: 'disconnected' };
    } finally {
      release();
    }
  }

  /** One command to several PCs with the command fan-out (one id, one timer, per-PC results). */
  private async command(targets: readonly Target[], command: Command, timeoutMs: number): Promise<Map<string, Outcome>> {
    const run = new CommandRun(randomUUID(), command.name);
    const codes = new Map<string, string>();
    this.codes.set(run.commandId, codes);
    const text = encodeMessage({ type: 'command', id: run.commandId, command });
    for (const target of targets) {
      const { connection } = target;
      if (!connection.open) {
        run.addSettled(connection.machineId, connection.machineId, 'offline');
        continue;
      }
      run.addWaiting(connection, connection.machineId);
      connection.sendText(text);
    }
    run.start(timeoutMs);
    const outcome = await run.done;
    this.codes.delete(run.commandId);
    const results = new Map<string, Outcome>();
    for (const result of outcome.results) {
      results.set(result.machineId, {
        ok: result.status === 'done',
        code: codes.get(result.machineId) ?? null,
        reason: result.status === 'offline' ? 'disconnected' : (result.reason ?? null),
      });
    }
    return results;
  }

  // ---- status --------------------------------------------------------------------------------

  private statusFor(target: Target, state: MachineFilterState, extra: { wanted?: WantedProfile; reason?: string; sentList?: boolean } = {}): MachineFilterStatus {
    const { connection } = target;
    const filter = agentFilterOf(connection);
    const wantedProfileId = extra.wanted?.profile.id ?? target.status?.wantedProfileId ?? this.options.wanted(connection.labId).profile.id;
    const status: MachineFilterStatus = {
      machineId: connection.machineId,
      labId: connection.labId,
      state,
      wantedProfileId,
      profileId: filter?.profileId ?? null,
      mode: filter?.mode ?? null,
      listSha256: filter?.listSha256 ?? null,
      listening: filter?.listening ?? [],
      sentList: extra.sentList ?? target.status?.sentList ?? false,
      updatedAt: Date.now(),
    };
    if (extra.reason !== undefined) status.reason = extra.reason;
    addAgentReport(status, filter);
    return status;
  }

  /**
   * Records and publishes a PC's status. A push still finishing on a connection that a newer one
   * replaced stays quiet: the newer connection speaks for the PC (`always` is for its disconnect).
   */
  private setStatus(
    target: Target,
    state: MachineFilterState,
    extra: { wanted?: WantedProfile; reason?: string; sentList?: boolean } = {},
    always = false,
  ): void {
    if (!always && this.targets.get(target.connection.machineId) !== target) return;
    const status = this.statusFor(target, state, extra);
    const previous = target.status;
    target.status = status;
    if (previous && JSON.stringify({ ...previous, updatedAt: 0 }) === JSON.stringify({ ...status, updatedAt: 0 })) return;
    this.options.events.emit({ type: 'filter.machine', status });
  }
}
