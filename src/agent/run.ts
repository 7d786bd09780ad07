// `run`: starts an enrolled agent. Re-applies the last state (a lock survives restarts), opens
// the desktop, gathers the inventory in the background and keeps one connection to the console
// until stopped or until the console no longer knows this PC.

import { hostname as osHostname, platform as osPlatform, release as osRelease } from 'node:os';
import type { Language } from '../shared/i18n/index.js';
import { Agent } from './agent.js';
import { sweepTempFiles } from './atomic-file.js';
import { readAgentConfig, readAgentKey, readAgentState, writeAgentState, type AgentConfig } from './config.js';
import { ConsoleConnection, type StopReason } from './connection.js';
import { gatherInventoryInWorker, type InventorySource } from './inventory.js';
import type { AgentLog } from './log.js';
import { openDesktop } from './platform/select.js';
import type { DesktopPlatform, SessionDesktop } from './platform/session-desktop.js';
import { agentVersion } from './version.js';
// Types only: the DNS filter and system control are imported when a filter starts (not on a
// simulated PC), so an agent that filters nothing does not carry their code.
import type { DnsListenAddress } from './dns/server.js';
import type { UpstreamServer } from './dns/upstream.js';
import type { WebFilter } from './dns/web-filter.js';
import { WebFiltering } from './web-filtering.js';

export interface RunOptions {
  dataDir: string;
  platform?: DesktopPlatform;
  /** X display for the linux desktop (--display); default $DISPLAY, else the active local X session. */
  display?: string;
  /** Overrides the name in agent.json and the OS host name. */
  hostname?: string;
  language?: Language;
  log: AgentLog;
  inventory?: InventorySource;
  /** Where the web filter listens; 'off' runs none. Default: loopback :53, except for simulated PCs (off). */
  dnsListen?: DnsListenAddress[] | 'off';
  /** Upstream resolvers set by IT; default: the ones the system used before the filter. */
  dnsUpstreams?: UpstreamServer[];
}

/** run without enrolment: the CLI explains how to enrol. */
export class NotEnrolledError extends Error {
  constructor(readonly dataDir: string) {
    super(`not enrolled (no agent.json in ${dataDir})`);
    this.name = 'NotEnrolledError';
  }
}

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly desktop: SessionDesktop;
  /** Resolves when the agent has stopped: by stop(), or because the console removed this PC. */
  readonly done: Promise<StopReason>;
  stop(): Promise<void>;
}

export async function runAgent(options: RunOptions): Promise<RunningAgent> {
  const { dataDir, log } = options;
  const config = readAgentConfig(dataDir);
  if (!config) throw new NotEnrolledError(dataDir);
  const privateKey = readAgentKey(dataDir);
  for (const name of sweepTempFiles(dataDir)) log('temp-file-removed', { name });
  const read = readAgentState(dataDir);
  if (read.problem) log('state-corrupt', { path: read.problem.path, reason: read.problem.reason, movedTo: read.problem.movedTo });

  const hostname = options.hostname ?? config.hostname ?? osHostname();
  const language: Language = options.language ?? read.state.lesson?.language ?? 'vi';
  log('starting', { version: agentVersion(), machineId: config.machineId, dataDir, platform: options.platform ?? 'auto' });

  const desktop = await openDesktop(options.platform, {
    hostname,
    language,
    log: (line) => log('desktop', { detail: line }),
    ...(options.display !== undefined ? { display: options.display } : {}),
  });
  // The filter exists before the feature that reports its blocked attempts: forward the signal.
  let onBlockedAttempt = (): void => {};
  const webFilter = await openWebFilter(options, desktop.platform, log, () => onBlockedAttempt());
  // No filter, no filtering feature: list chunks are refused at once (frame-unexpected) instead
  // of being assembled into a buffer that nothing could ever install.
  const webFiltering = webFilter ? new WebFiltering({ webFilter, initial: read.state.filter, log }) : undefined;
  if (webFiltering) onBlockedAttempt = webFiltering.onBlockedAttempt;
  const agent = new Agent({
    desktop,
    identity: {
      hostname: hostname.slice(0, 256),
      os: { platform: osPlatform(), release: osRelease().slice(0, 256) },
      agentVersion: agentVersion(),
      desktop: desktop.platform,
    },
    state: read.state,
    saveState: (state) => writeAgentState(dataDir, state),
    inventory: options.inventory ?? gatherInventoryInWorker,
    log,
    ...(webFiltering ? { webFiltering } : {}),
  });
  // Lock again before dialling: the console may be away for a long time.
  await agent.restore();
  agent.refreshInventory();

  const connection = new ConsoleConnection({ config, privateKey, handlers: agent, log });
  connection.start();

  let stopping: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    agent.close();
    if (webFilter) await webFilter.stop().catch((error: unknown) => log('dns-stop-failed', { reason: String(error) }));
    await desktop.close().catch((error: unknown) => log('desktop-close-failed', { reason: String(error) }));
  };
  const done = connection.stopped.then(async (reason) => {
    if (reason.kind === 'removed') {
      // The console that owned the lock no longer knows this PC: nobody could ever unlock it.
      const current = readAgentState(dataDir, { moveAside: false }).state;
      if (current.locked) {
        try {
          const { lockMessage: _dropped, ...rest } = current;
          writeAgentState(dataDir, { ...rest, locked: false, savedAt: Date.now() });
        } catch (error) {
          log('state-save-failed', { reason: (error as Error).message });
        }
      }
      log('removed', { closeCode: reason.closeCode, reason: reason.reason });
    }
    stopping ??= shutdown();
    await stopping;
    return reason;
  });

  return {
    config,
    desktop,
    done,
    stop: async () => {
      stopping ??= connection.stop().then(shutdown);
      await stopping;
    },
  };
}

/**
 * Starts the DNS web filter. A filter that cannot start (port 53 taken, no rights) must not stop
 * the lock and the lesson features: the agent runs on and reports that it filters nothing.
 */
async function openWebFilter(
  options: RunOptions,
  platform: DesktopPlatform,
  log: AgentLog,
  onBlockedAttempt: () => void,
): Promise<WebFilter | null> {
  if (options.dnsListen === 'off' || (options.dnsListen === undefined && platform === 'simulated')) return null;
  try {
    const { defaultListenAddresses } = await import('./dns/server.js');
    const { startWebFilter, systemResolverPort } = await import('./dns/web-filter.js');
    const listen = options.dnsListen ?? [...defaultListenAddresses];
    // Only a filter on port 53 of a real PC can become the system resolver.
    const system =
      platform === 'linux' && listen.every((l) => l.port === systemResolverPort)
        ? new (await import('./system/linux/system-control.js')).LinuxSystemControl({ dataDir: options.dataDir })
        : undefined;
    return await startWebFilter({
      dataDir: options.dataDir,
      listen,
      ...(options.dnsUpstreams ? { upstreams: options.dnsUpstreams } : {}),
      ...(system ? { system } : {}),
      log,
      onBlockedAttempt,
    });
  } catch (error) {
    log('dns-unavailable', { reason: (error as Error).message });
    return null;
  }
}
