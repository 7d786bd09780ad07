// One command fanned out to many machines: collects each machine's result (done, failed with the
// agent's error code and its own words, 'timeout' or 'disconnected', or offline) and finishes
// when all are in or the single timer for the whole run fires.

import type { CommandOutcome, MachineResult } from '../../shared/api/contract.js';
import type { AckWaiter, AgentConnection } from '../agent-hub/connection.js';

export class CommandRun implements AckWaiter {
  readonly commandId: string;
  readonly command: string;
  readonly startedAt = Date.now();
  readonly done: Promise<CommandOutcome>;
  private readonly results: MachineResult[] = [];
  private readonly indexByMachine = new Map<string, number>();
  private readonly waitingOn: AgentConnection[] = [];
  private remaining = 0;
  private timer: NodeJS.Timeout | null = null;
  private finish!: (outcome: CommandOutcome) => void;

  constructor(commandId: string, command: string) {
    this.commandId = commandId;
    this.command = command;
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** A machine that gets no command (offline, unknown): its result is known already. */
  addSettled(machineId: string, name: string, status: MachineResult['status'], reason?: string): void {
    this.results.push(reason === undefined ? { machineId, name, status } : { machineId, name, status, reason });
  }

  /** A machine the command was sent to; its result comes with the ack. */
  addWaiting(connection: AgentConnection, name: string): void {
    this.indexByMachine.set(connection.machineId, this.results.length);
    this.results.push({ machineId: connection.machineId, name, status: 'failed', reason: 'pending' });
    this.waitingOn.push(connection);
    connection.pendingCommands.set(this.commandId, this);
    this.remaining++;
  }

  /** Starts the clock; finishes at once when nothing is awaited. */
  start(timeoutMs: number): void {
    if (this.remaining === 0) {
      this.complete();
      return;
    }
    this.timer = setTimeout(this.onTimeout, timeoutMs);
  }

  settle(machineId: string, status: 'done' | 'failed', reason?: string, detail?: string): void {
    const index = this.indexByMachine.get(machineId);
    if (index === undefined) return;
    this.indexByMachine.delete(machineId);
    const result = this.results[index]!;
    result.status = status;
    if (status === 'done') delete result.reason;
    else result.reason = reason ?? 'failed';
    if (status === 'failed' && detail) result.detail = detail;
    if (--this.remaining === 0) this.complete();
  }

  private readonly onTimeout = (): void => {
    this.timer = null;
    for (const connection of this.waitingOn) connection.pendingCommands.delete(this.commandId);
    for (const machineId of [...this.indexByMachine.keys()]) this.settle(machineId, 'failed', 'timeout');
  };

  private complete(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waitingOn.length = 0;
    this.finish({ commandId: this.commandId, command: this.command, results: this.results, startedAt: this.startedAt, finishedAt: Date.now() });
  }
}
