// The agent command line: `enrol` this PC with a console, `run` the agent, show its `status`.
// Errors IT staff can meet are printed in Vietnamese and English; exit codes are stable
// (see exitCodes) so installers and service wrappers can tell "not enrolled" from a crash.

import { hostname as osHostname } from 'node:os';
import { parseArgs } from 'node:util';
import { bilingual, type Language } from '../shared/i18n/index.js';
import { AgentFileError, readAgentConfig, readAgentState, resolveAgentDataDir, toAgentState } from './config.js';
// enrol.js (and the console API contract it reads enrolment files with) is imported by the
// enrol command only: a running agent never needs it.
import { stderrLog, type AgentLog } from './log.js';
import { DesktopUnavailableError, desktopPlatforms, isDesktopPlatform } from './platform/select.js';
import { NotEnrolledError, runAgent } from './run.js';
import { startUpDone } from './start-up.js';
// Type only: the firewall code is loaded when a filter starts.
import type { DnsFirewallChoice } from './system/dns-firewall.js';

export const exitCodes = {
  ok: 0,
  unexpected: 1,
  notEnrolled: 2,
  damagedFiles: 3,
  /** The console rejected this PC's key (removed or never known): enrol again. */
  removed: 4,
  enrolmentFailed: 5,
  desktopUnavailable: 6,
  usage: 64,
} as const;

const usage = `SafeLab agent

  enrol --console wss://HOST:47100/agent --code K7Q2-M9XD-4HTB [--data-dir D] [--hostname NAME]
  enrol --enrolment-file FILE [--console URL] [--data-dir D] [--hostname NAME]
  run [--platform ${desktopPlatforms.join('|')}] [--display :0] [--data-dir D] [--hostname NAME] [--language vi|en]
      [--dns-listen 127.0.0.1:53,[::1]:53|off] [--dns-upstream 192.168.1.1:53,…]
      [--system-resolver auto|off|FILE] [--dns-firewall auto|on|off]
      (the web filter listens on port 53 of loopback by default, except on --platform simulated;
       it points the system resolver at itself: auto = /etc/resolv.conf or systemd-resolved on a
       Linux desktop, off = never, FILE = that resolv.conf instead, e.g. in a container;
       the X display is --display, else $DISPLAY, else the active local X session;
       the DNS firewall (nftables) sends every program's DNS to the filter and refuses encrypted
       DNS around it: auto = on a Linux desktop, on = on any Linux PC, off = never;
       a Linux desktop that cannot be opened yet — no X session at boot, a Wayland login screen,
       a broken Xauthority — does not stop the agent: it filters, stays connected, reports the
       problem to the console and keeps trying)
  status [--data-dir D] [--json]

Data folder: --data-dir, else $SAFELAB_AGENT_DATA_DIR, else the per-machine default.
Exit codes: 0 ok, 2 not enrolled, 3 damaged files, 4 removed from the console,
            5 enrolment failed, 6 no desktop platform on this OS (--platform linux elsewhere than
            Linux, win32 before its helper ships, or neither OS), 64 wrong usage.
`;

class UsageError extends Error {}

function printError(key: string, params?: Record<string, string | number>): void {
  const text = bilingual(key, params);
  const label = bilingual('agent.error');
  process.stderr.write(`${label.vi}: ${text.vi}\n${label.en}: ${text.en}\n`);
}

/** A bilingual line for IT staff that is not an error (the agent runs on). */
function printNotice(key: string, params?: Record<string, string | number>): void {
  const text = bilingual(key, params);
  process.stderr.write(`${text.vi}\n${text.en}\n`);
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        console: { type: 'string' },
        code: { type: 'string' },
        'enrolment-file': { type: 'string' },
        'data-dir': { type: 'string' },
        hostname: { type: 'string' },
        platform: { type: 'string' },
        display: { type: 'string' },
        language: { type: 'string' },
        'dns-listen': { type: 'string' },
        'dns-upstream': { type: 'string' },
        'system-resolver': { type: 'string' },
        'dns-firewall': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function enrolCommand(args: string[], log: AgentLog): Promise<number> {
  const flags = parse(args);
  const enrolment = await import('./enrol.js');
  try {
    return await enrolWith(flags, log, enrolment);
  } catch (error) {
    if (!(error instanceof enrolment.EnrolmentError)) throw error;
    printError(error.key, error.params);
    return exitCodes.enrolmentFailed;
  }
}

async function enrolWith(flags: ReturnType<typeof parse>, log: AgentLog, { enrol, readEnrolmentFile }: typeof import('./enrol.js')): Promise<number> {
  const dataDir = resolveAgentDataDir(flags['data-dir']);
  let consoleUrl = flags.console;
  let code = flags.code;
  let expectedFingerprint: string | null = null;
  if (flags['enrolment-file']) {
    const file = readEnrolmentFile(flags['enrolment-file']);
    // --console may point at another address of the same console (the file lists one).
    consoleUrl = consoleUrl ?? file.consoleUrl;
    code = file.code;
    expectedFingerprint = file.consoleFingerprint;
    // The console's clock decides; old lab PCs often have a wrong clock (flat CMOS battery).
    if (file.expiresAt < Date.now()) {
      const warning = bilingual('agent.enrol.fileExpired');
      log('enrolment-file-expired', { expiresAt: new Date(file.expiresAt).toISOString() });
      process.stderr.write(`${warning.vi}\n${warning.en}\n`);
    }
  }
  if (!consoleUrl || !code) throw new UsageError('enrol needs --console and --code, or --enrolment-file');
  const previous = safeReadConfig(dataDir);
  if (previous) log('re-enrolling', { previousMachineId: previous.machineId });
  const config = await enrol({
    dataDir,
    consoleUrl,
    code,
    expectedFingerprint,
    ...(flags.hostname !== undefined ? { hostname: flags.hostname } : {}),
    log,
  });
  const done = bilingual('agent.enrol.done', { hostname: config.hostname ?? osHostname(), machineId: config.machineId, url: config.consoleUrl });
  process.stdout.write(`${done.vi}\n${done.en}\n`);
  return exitCodes.ok;
}

function safeReadConfig(dataDir: string) {
  try {
    return readAgentConfig(dataDir);
  } catch {
    return null;
  }
}

/** "127.0.0.1:5353,[::1]:5353" -> addresses; used for --dns-listen and --dns-upstream. */
function parseAddressList(text: string, flag: string): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^\[([0-9a-fA-F:.%\w]+)\]:(\d+)$/.exec(part) ?? /^([0-9.]+):(\d+)$/.exec(part);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag}: "${part}" is not ADDRESS:PORT (IPv6 as [::1]:53)`);
    out.push({ host: m[1]!, port });
  }
  if (out.length === 0) throw new UsageError(`${flag} needs at least one ADDRESS:PORT`);
  return out;
}

function parseDnsListen(text: string): { host: string; port: number }[] | 'off' {
  return text.trim() === 'off' ? 'off' : parseAddressList(text, '--dns-listen');
}

function parseSystemResolver(text: string): 'auto' | 'off' | { resolvConfPath: string } {
  const value = text.trim();
  if (value === 'auto' || value === 'off') return value;
  if (!value.startsWith('/')) throw new UsageError('--system-resolver must be auto, off or an absolute path to a resolv.conf file');
  return { resolvConfPath: value };
}

function parseDnsFirewall(text: string): DnsFirewallChoice {
  const value = text.trim();
  if (value === 'auto' || value === 'on' || value === 'off') return value;
  throw new UsageError('--dns-firewall must be auto, on or off');
}

async function runCommand(args: string[], log: AgentLog): Promise<number> {
  const flags = parse(args);
  const platform = flags.platform;
  if (platform !== undefined && !isDesktopPlatform(platform)) {
    throw new UsageError(`--platform must be one of ${desktopPlatforms.join(', ')}`);
  }
  const language = flags.language;
  if (language !== undefined && language !== 'vi' && language !== 'en') throw new UsageError('--language must be vi or en');
  const display = flags.display;
  if (display !== undefined && !/^[\w.-]*:\d+(\.\d+)?$/.test(display)) throw new UsageError(`--display must name an X display such as :0 or :1.0, not "${display}"`);
  const dataDir = resolveAgentDataDir(flags['data-dir']);

  const running = await runAgent({
    dataDir,
    log,
    notice: printNotice,
    ...(platform !== undefined ? { platform } : {}),
    ...(display !== undefined ? { display } : {}),
    ...(flags.hostname !== undefined ? { hostname: flags.hostname } : {}),
    ...(language !== undefined ? { language: language as Language } : {}),
    ...(flags['dns-listen'] !== undefined ? { dnsListen: parseDnsListen(flags['dns-listen']) } : {}),
    ...(flags['dns-upstream'] !== undefined ? { dnsUpstreams: parseAddressList(flags['dns-upstream'], '--dns-upstream') } : {}),
    ...(flags['system-resolver'] !== undefined ? { systemResolver: parseSystemResolver(flags['system-resolver']) } : {}),
    ...(flags['dns-firewall'] !== undefined ? { dnsFirewall: parseDnsFirewall(flags['dns-firewall']) } : {}),
  });
  startUpDone();
  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    log('stopping', { signal });
    void running.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reason = await running.done;
  if (reason.kind === 'removed') {
    printError('agent.removed');
    return exitCodes.removed;
  }
  log('stopped');
  return exitCodes.ok;
}

function statusCommand(args: string[]): number {
  const flags = parse(args);
  const dataDir = resolveAgentDataDir(flags['data-dir']);
  const config = readAgentConfig(dataDir);
  const read = readAgentState(dataDir, { moveAside: false });
  const state = toAgentState(read.state);
  if (flags.json) {
    const out = {
      dataDir,
      enrolled: config !== null,
      machineId: config?.machineId ?? null,
      consoleUrl: config?.consoleUrl ?? null,
      consoleFingerprint: config?.consoleFingerprint ?? null,
      hostname: config?.hostname ?? osHostname(),
      enrolledAt: config ? new Date(config.enrolledAt).toISOString() : null,
      state,
      lesson: read.state.lesson,
      stateFileProblem: read.problem?.reason ?? null,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    const lines = [`data folder:        ${dataDir}`];
    if (config) {
      lines.push(
        `enrolled:           yes, machine id ${config.machineId} (${new Date(config.enrolledAt).toISOString()})`,
        `console:            ${config.consoleUrl}`,
        `pinned fingerprint: ${config.consoleFingerprint}`,
        `hostname:           ${config.hostname ?? osHostname()}`,
      );
    } else {
      lines.push('enrolled:           no');
    }
    lines.push(
      `screen:             ${state.locked ? `locked${state.lockMessage ? ` ("${state.lockMessage}")` : ''}` : 'unlocked'}`,
      `lesson:             ${read.state.lesson?.active ? `active${read.state.lesson.className ? ` (${read.state.lesson.className})` : ''}` : 'none'}`,
    );
    if (read.problem) lines.push(`state file:         damaged (${read.problem.reason})`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return config ? exitCodes.ok : exitCodes.notEnrolled;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = stderrLog();
  try {
    switch (command) {
      case 'enrol':
      case 'enroll':
        return await enrolCommand(rest, log);
      case 'run':
        return await runCommand(rest, log);
      case 'status':
        return statusCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(usage);
        return command === undefined ? exitCodes.usage : exitCodes.ok;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      printError('agent.usage', { detail: error.message });
      process.stderr.write(usage);
      return exitCodes.usage;
    }
    if (error instanceof NotEnrolledError) {
      printError('agent.notEnrolled', { dataDir: error.dataDir });
      return exitCodes.notEnrolled;
    }
    if (error instanceof AgentFileError) {
      printError(error.code === 'config-corrupt' ? 'agent.configCorrupt' : 'agent.configUnreadable', { path: error.path, reason: error.reason });
      return exitCodes.damagedFiles;
    }
    if (error instanceof DesktopUnavailableError) {
      // Only a platform that cannot exist here; a Linux desktop that is not there yet is waited for.
      const reasons = error.reasons.join('; ');
      printError('agent.platform.unavailable', { reasons });
      return exitCodes.desktopUnavailable;
    }
    log('failed', { reason: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return exitCodes.unexpected;
  }
}

// A bug in a handler must not take the lock screen down with it: log and keep enforcing.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`${new Date().toISOString()} unhandled-rejection reason=${JSON.stringify(String(reason))}\n`);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Lingering handles (a late socket, sharp's thread pool) must not keep a finished command alive.
    if (code !== exitCodes.ok || process.argv[2] !== 'run') setTimeout(() => process.exit(code), 100).unref();
    else setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(exitCodes.unexpected);
  },
);
