// `run`: starts an enrolled agent. Undoes what a crashed run left, starts the web filter, opens the
// desktop (or keeps trying, on a Linux PC whose session is not there yet), re-applies the last
// state (a lock survives restarts), gathers the inventory in the background and keeps one
// connection to the console until stopped or until the console no longer knows this PC. The order
// matters: filtering must never depend on the student's screen.

import { hostname as osHostname, platform as osPlatform, release as osRelease } from 'node:os';
import type { Language } from '../shared/i18n/index.js';
import { Agent } from './agent.js';
import { sweepTempFiles } from './atomic-file.js';
import { agentStateText, readAgentConfig, readAgentKey, readAgentState, writeAgentStateText, type AgentConfig } from './config.js';
import { StateWriter } from './state-writer.js';
import { ConsoleConnection, type StopReason } from './connection.js';
import { gatherInventoryInWorker, type InventorySource } from './inventory.js';
import type { AgentLog } from './log.js';
import { chooseDesktop, DesktopUnavailableError, openChosenDesktop, resumeProgramsLeftPaused } from './platform/select.js';
import type { DesktopPlatform, SessionDesktop } from './platform/session-desktop.js';
import { agentVersion } from './version.js';
// Types only: the DNS filter and system control are imported when a filter starts (not on a
// simulated PC), so an agent that filters nothing does not carry their code.
import type { DnsListenAddress } from './dns/server.js';
import type { UpstreamServer } from './dns/upstream.js';
import type { WebFilter } from './dns/web-filter.js';
import type { DnsFirewallChoice } from './system/dns-firewall.js';
import type { SystemControl } from './system/system-control.js';
import { WebFiltering, type FilterProblem } from './web-filtering.js';

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
  /**
   * Which system resolver setting the filter takes over and keeps: 'auto' (default) — on a Linux PC
   * with a real desktop, /etc/resolv.conf or systemd-resolved, when the filter listens on port 53;
   * 'off' — never touch it; a file — manage that resolv.conf instead of /etc/resolv.conf (a
   * container's bind-mounted file, tests), also on a simulated PC, always in plain resolv.conf mode.
   */
  systemResolver?: 'auto' | 'off' | { resolvConfPath: string };
  /**
   * The DNS firewall (nftables) that sends every program's DNS through the filter and refuses
   * encrypted DNS that would go round it: 'auto' (default) — on a Linux PC with a real desktop, once
   * the filter listens; 'on' — on any Linux PC, a simulated one too (a network namespace in tests);
   * 'off' — never (one a crashed run left on a Linux desktop is still removed).
   */
  dnsFirewall?: DnsFirewallChoice;
  /**
   * Tells IT staff something in both languages (`key` of the agent catalogue), beside the log: the
   * command line writes it to stderr. Used when the desktop cannot be opened yet.
   */
  notice?: (key: string, params: Record<string, string>) => void;
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

  // 1. Decide the desktop without opening it, and undo what a crashed run left: paused programs,
  //    the system resolver and the DNS firewall pointing at a filter that no longer runs. None of
  //    this waits for a screen, which a student can break or which may not exist yet at boot.
  const choice = chooseDesktop(options.platform, { language });
  if ('refused' in choice) {
    // A platform that can never open here: the agent exits (6), leaving the PC's DNS working.
    await recoverWithoutFilter(options, log);
    throw new DesktopUnavailableError(choice.refused, language);
  }
  if (choice.platform !== 'simulated') await resumeProgramsLeftPaused(log, displayOf(options));

  // 2. The web filter, independent of the desktop. The filter exists before the feature that
  //    reports on it: forward its signals.
  let onBlockedAttempt = (): void => {};
  let onFilterStatusChange = (): void => {};
  const { webFilter, problem } = await openWebFilter(options, choice.platform, log, {
    onBlockedAttempt: () => onBlockedAttempt(),
    onStatusChange: () => onFilterStatusChange(),
  });

  // 3. The desktop. A Linux one that cannot open now is waited for in the background (the console
  //    shows the PC's problem); anything else that fails stops the agent, and the filter with it.
  let desktop: SessionDesktop;
  try {
    desktop = await openChosenDesktop(
      choice,
      { hostname, language, log: (line) => log('desktop', { detail: line }), ...(options.display !== undefined ? { display: options.display } : {}) },
      log,
    );
  } catch (error) {
    if (webFilter) await webFilter.stop().catch((stopError: unknown) => log('dns-stop-failed', { reason: String(stopError) }));
    throw error;
  }
  const desktopProblem = desktop.problem?.();
  if (desktopProblem) options.notice?.('agent.desktop.keepTrying', { reason: desktopProblem.detail });

  // A filter that was meant to run but could not start still has a feature: it tells the console
  // why this PC is not filtered. No filter meant to run, no feature. Either way without a filter,
  // list chunks are refused at once (frame-unexpected).
  const webFiltering = webFilter || problem ? new WebFiltering({ webFilter, startProblem: problem, initial: read.state.filter, log }) : undefined;
  if (webFiltering) {
    onBlockedAttempt = webFiltering.onBlockedAttempt;
    onFilterStatusChange = webFiltering.onFilterStatusChange;
  }
  // State writes leave the event loop (an fsync on an old hard disk takes tens of ms) and stay in order.
  const stateWriter = new StateWriter((text) => writeAgentStateText(dataDir, text));
  const agent = new Agent({
    desktop,
    identity: {
      hostname: hostname.slice(0, 256),
      os: { platform: osPlatform(), release: osRelease().slice(0, 256) },
      agentVersion: agentVersion(),
      desktop: desktop.platform,
    },
    state: read.state,
    saveState: (state) => stateWriter.save(agentStateText(state)),
    inventory: options.inventory ?? gatherInventoryInWorker,
    log,
    ...(webFiltering ? { webFiltering } : {}),
  });
  // Lock again before dialling: the console may be away for a long time. (A desktop still being
  // opened gets the lock when it opens.)
  await agent.restore();
  agent.refreshInventory();

  const connection = new ConsoleConnection({ config, privateKey, handlers: agent, log });
  connection.start();

  let stopping: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    agent.close();
    await stateWriter.flush();
    // The filter puts its firewall out of force first: while it still answers, no program is left
    // without DNS.
    if (webFilter) await webFilter.stop().catch((error: unknown) => log('dns-stop-failed', { reason: String(error) }));
    await desktop.close().catch((error: unknown) => log('desktop-close-failed', { reason: String(error) }));
  };
  const done = connection.stopped.then(async (reason) => {
    if (reason.kind === 'removed') {
      // The console that owned the lock no longer knows this PC: nobody could ever unlock it.
      await agent.removed();
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

/** The X display named for this agent (--display, else $DISPLAY), if any. */
function displayOf(options: RunOptions): { display?: string } {
  const display = options.display ?? process.env['DISPLAY'];
  return display ? { display } : {};
}

/**
 * Before refusing to run: what a crashed run on this PC left is undone anyway (paused programs, and
 * the system resolver and the DNS firewall sending every query to a filter that no longer runs), or
 * the PC would stay without DNS until someone notices. Never throws.
 */
async function recoverWithoutFilter(options: RunOptions, log: AgentLog): Promise<void> {
  if (osPlatform() !== 'linux') return;
  await resumeProgramsLeftPaused(log, displayOf(options));
  // As a Linux desktop would: the refusal says nothing about what the last run was.
  const system = await systemControlFor(options, 'linux');
  const firewallPlace = await firewallControlFor(options, 'linux', system);
  if (system) {
    const { recoverSystemResolver } = await import('./dns/web-filter.js');
    await recoverSystemResolver(system, log);
  }
  if (firewallPlace) await removeLeftoverFirewall(firewallPlace.system, log);
}

/** The system resolver this agent may change, if any (see RunOptions.systemResolver). */
async function systemControlFor(options: RunOptions, platform: DesktopPlatform): Promise<SystemControl | undefined> {
  const choice = options.systemResolver ?? 'auto';
  if (choice === 'off') return undefined;
  if (choice === 'auto' && (platform !== 'linux' || osPlatform() !== 'linux')) return undefined;
  const { LinuxSystemControl } = await import('./system/linux/system-control.js');
  if (choice === 'auto') return new LinuxSystemControl({ dataDir: options.dataDir });
  return new LinuxSystemControl({ dataDir: options.dataDir, resolvConfPath: choice.resolvConfPath, detectResolved: async () => false });
}

/**
 * Where the DNS firewall belongs (see RunOptions.dnsFirewall): its SystemControl and whether it is
 * put in force, or undefined when this agent never touches the firewall (not Linux; a simulated PC
 * without 'on'). With 'off' on a Linux desktop it is only there to remove a crashed run's table.
 */
async function firewallControlFor(
  options: RunOptions,
  platform: DesktopPlatform,
  resolverSystem: SystemControl | undefined,
): Promise<{ system: SystemControl; wanted: boolean } | undefined> {
  const choice = options.dnsFirewall ?? 'auto';
  if (osPlatform() !== 'linux' || (choice !== 'on' && platform !== 'linux')) return undefined;
  if (resolverSystem) return { system: resolverSystem, wanted: choice !== 'off' };
  const { LinuxSystemControl } = await import('./system/linux/system-control.js');
  return { system: new LinuxSystemControl({ dataDir: options.dataDir }), wanted: choice !== 'off' };
}

/** Loads the firewall code only where a firewall may be (see firewallControlFor). */
async function removeLeftoverFirewall(system: SystemControl, log: AgentLog): Promise<void> {
  const { removeLeftoverDnsFirewall } = await import('./system/dns-firewall.js');
  await removeLeftoverDnsFirewall(system, log);
}

/**
 * Starts the DNS web filter. Whatever happens, a system resolver left pointing at the filter by a
 * crashed run is put back first (startWebFilter does it before listening; with no filter meant to
 * run it is done here). A filter that cannot start (port 53 taken, no rights) must not stop the
 * lock and the lesson features: the agent runs on and reports why it filters nothing. The DNS
 * firewall follows the filter: put in force by it once it listens (a crashed run's table replaced
 * in the same step), removed (also a crashed run's) when no filter runs; one that cannot be put in
 * force is reported, and the filter runs on without it. Nothing here waits for the desktop.
 */
async function openWebFilter(
  options: RunOptions,
  platform: DesktopPlatform,
  log: AgentLog,
  signals: { onBlockedAttempt: () => void; onStatusChange: () => void },
): Promise<{ webFilter: WebFilter | null; problem: FilterProblem | null }> {
  const off = options.dnsListen === 'off' || (options.dnsListen === undefined && platform === 'simulated');
  let system: SystemControl | undefined;
  let firewallPlace: { system: SystemControl; wanted: boolean } | undefined;
  try {
    system = await systemControlFor(options, platform);
    firewallPlace = await firewallControlFor(options, platform, system);
    const { defaultListenAddresses } = await import('./dns/server.js');
    const { recoverSystemResolver, startWebFilter } = await import('./dns/web-filter.js');
    if (off) {
      if (system) await recoverSystemResolver(system, log);
      if (firewallPlace) await removeLeftoverFirewall(firewallPlace.system, log);
      return { webFilter: null, problem: null };
    }
    const listen = options.dnsListen === undefined || options.dnsListen === 'off' ? [...defaultListenAddresses] : options.dnsListen;
    const webFilter = await startWebFilter({
      dataDir: options.dataDir,
      listen,
      ...(options.dnsUpstreams ? { upstreams: options.dnsUpstreams } : {}),
      ...(system ? { system } : {}),
      ...(firewallPlace?.wanted ? { firewall: { system: firewallPlace.system } } : {}),
      log,
      onBlockedAttempt: signals.onBlockedAttempt,
      onStatusChange: signals.onStatusChange,
    });
    if (firewallPlace && !firewallPlace.wanted) await removeLeftoverFirewall(firewallPlace.system, log);
    return { webFilter, problem: null };
  } catch (error) {
    const message = (error as Error).message;
    log('dns-unavailable', { reason: message });
    if (system) {
      // startWebFilter recovers before it listens; this covers a failure before that point.
      const { recoverSystemResolver } = await import('./dns/web-filter.js');
      await recoverSystemResolver(system, log);
    }
    // No filter to send DNS to: a crashed run's firewall would leave every program without DNS.
    if (firewallPlace) await removeLeftoverFirewall(firewallPlace.system, log);
    return off ? { webFilter: null, problem: null } : { webFilter: null, problem: { code: 'listen-failed', detail: message.slice(0, 200) } };
  }
}
