// Teacher commands (lock, unlock, message) and console-internal ones (setLesson, refreshInventory):
// serialise once, send to each online machine, match acks by id, and keep the machine state the
// ack reports. Agents apply a command id at most once, so a resend is harmless.

import { randomUUID } from 'node:crypto';
import type { CommandOutcome, CommandRequest } from '../../shared/api/contract.js';
import { encodeMessage } from '../../shared/protocol/codec.js';
import { commandTimeoutMs } from '../../shared/protocol/limits.js';
import type { AgentMessage, Command } from '../../shared/protocol/messages.js';
import type { EventBus } from '../api/events.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { AgentHub } from '../agent-hub/hub.js';
import type { Store } from '../store/index.js';
import { CommandRun } from './command-run.js';

export interface CommandsOptions {
  store: Store;
  hub: AgentHub;
  events: EventBus;
  log(line: string): void;
  commandTimeoutMs?: number;
}

/** The wire command for a teacher's request. */
export function wireCommand(request: CommandRequest): Command {
  switch (request.name) {
    case 'lock':
      return { name: 'lock', message: request.message };
    case 'unlock':
      return { name: 'unlock' };
    case 'showMessage':
      return { name: 'showMessage', text: request.text };
  }
}

export class Commands {
  private readonly options: CommandsOptions;
  private readonly timeoutMs: number;

  constructor(options: CommandsOptions) {
    this.options = options;
    this.timeoutMs = options.commandTimeoutMs ?? commandTimeoutMs;
  }

  /** Runs a teacher's command on the chosen machines and reports each one's result. */
  async run(machineIds: readonly string[], request: CommandRequest, actor: string): Promise<CommandOutcome> {
    const { store, hub, events } = this.options;
    const command = wireCommand(request);
    const run = new CommandRun(randomUUID(), request.name);
    const text = encodeMessage({ type: 'command', id: run.commandId, command });
    const unique = [...new Set(machineIds)];
    for (const machineId of unique) {
      const record = store.machines.findMachine(machineId);
      if (!record || record.revokedAt !== null) {
        run.addSettled(machineId, machineId, 'failed', 'not-found');
        continue;
      }
      const connection = hub.connectionOf(machineId);
      if (!connection || !connection.open) {
        run.addSettled(machineId, record.name, 'offline');
        continue;
      }
      run.addWaiting(connection, record.name);
      connection.sendText(text);
    }
    store.audit.recordAudit({
      actor,
      action: `commands.${request.name}`,
      details: {
        commandId: run.commandId,
        machineIds: unique,
        ...(request.name === 'lock' ? { message: request.message } : request.name === 'showMessage' ? { text: request.text } : {}),
      },
    });
    run.start(this.timeoutMs);
    const outcome = await run.done;
    events.emit({ type: 'command.finished', outcome });
    return outcome;
  }

  /** Sends a console-internal command to one machine without awaiting it; its ack still updates state. */
  sendInternal(connection: AgentConnection, command: Command): void {
    connection.send({ type: 'command', id: randomUUID(), command });
  }

  /** Sends one console-internal command to many machines, serialised once. */
  sendInternalToAll(connections: Iterable<AgentConnection>, command: Command): void {
    const text = encodeMessage({ type: 'command', id: randomUUID(), command });
    for (const connection of connections) connection.sendText(text);
  }

  /** Asks a machine for an acknowledged command and waits for the ack (or the timeout). */
  async sendAndWait(connection: AgentConnection, command: Command): Promise<{ ok: boolean; reason?: string }> {
    const run = new CommandRun(randomUUID(), command.name);
    run.addWaiting(connection, connection.machineId);
    connection.send({ type: 'command', id: run.commandId, command });
    run.start(this.timeoutMs);
    const result = (await run.done).results[0]!;
    return result.status === 'done' ? { ok: true } : { ok: false, reason: result.reason ?? 'failed' };
  }

  onAck(connection: AgentConnection, message: Extract<AgentMessage, { type: 'ack' }>): void {
    this.options.hub.updateState(connection, message.state);
    const waiter = connection.pendingCommands.get(message.id);
    if (!waiter) return; // an internal command, or one that already timed out
    connection.pendingCommands.delete(message.id);
    if (message.ok) waiter.settle(connection.machineId, 'done');
    else waiter.settle(connection.machineId, 'failed', message.error?.code || 'failed', message.error?.message || undefined);
  }

  /** The agent is gone: whatever it had in flight failed now, not after the timeout. */
  onDisconnect(connection: AgentConnection): void {
    if (connection.pendingCommands.size === 0) return;
    const waiters = [...connection.pendingCommands.values()];
    connection.pendingCommands.clear();
    for (const waiter of waiters) waiter.settle(connection.machineId, 'failed', 'disconnected');
  }
}
