// Chooses and opens the desktop implementation for this PC: the --platform flag wins; otherwise
// X11 on Linux, the session helper on Windows, else a readable refusal. Platform modules are
// imported lazily so a PC without X never loads the X11 code (and the simulated desktop works
// everywhere). Every opener returns a started desktop.
//
// The choice is made before anything is opened (chooseDesktop), so the agent can undo a crashed
// run and start its web filter first: filtering never waits for, or dies with, the student's screen.
// A Linux desktop that cannot be opened yet is waited for (pending-desktop.ts); only a platform that
// cannot exist here is refused (exit code 6).

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { translate, type Language } from '../../shared/i18n/index.js';
import type { AgentLog } from '../log.js';
import type { FoundDisplay } from './linux/session-display.js';
import { PendingDesktop } from './pending-desktop.js';
import type { DesktopPlatform, SessionDesktop } from './session-desktop.js';

export interface OpenDesktopOptions {
  /** Machine name (the simulated desktop draws it). */
  hostname: string;
  language: Language;
  log: (line: string) => void;
  /** X display for linux; defaults to $DISPLAY, else the active local X session (an agent run as a service). */
  display?: string;
  /** Xauthority file for that display; defaults to $XAUTHORITY, else the one found with the session. */
  xauthority?: string;
  env?: NodeJS.ProcessEnv;
  osPlatform?: NodeJS.Platform;
  /** How a service finds the X session (a test replaces the live system's answer). */
  findDisplay?: () => Promise<FoundDisplay | null>;
}

export const desktopPlatforms: readonly DesktopPlatform[] = ['simulated', 'linux', 'win32'];

export function isDesktopPlatform(value: string): value is DesktopPlatform {
  return (desktopPlatforms as readonly string[]).includes(value);
}

/** Why no desktop could be opened; `reasons` lists each platform tried and why it failed. */
export class DesktopUnavailableError extends Error {
  constructor(
    readonly reasons: string[],
    language: Language,
  ) {
    super(translate(language, 'agent.platform.unavailable', { reasons: reasons.join('; ') }));
    this.name = 'DesktopUnavailableError';
  }
}

async function openLinux(options: OpenDesktopOptions): Promise<SessionDesktop> {
  const env = options.env ?? process.env;
  let display = options.display ?? env['DISPLAY'];
  let xauthority = options.xauthority ?? env['XAUTHORITY'];
  if (!display) {
    // A service has no DISPLAY: look for the student's X session on this PC.
    const { findSessionDisplay } = await import('./linux/session-display.js');
    const found = await (options.findDisplay ?? findSessionDisplay)();
    if (!found) throw new Error(translate(options.language, 'agent.platform.noDisplayFound'));
    display = found.display;
    xauthority ??= found.xauthority ?? undefined;
    options.log(`desktop.display-found display=${display} xauthority=${xauthority ?? '-'} how=${JSON.stringify(found.how)}`);
  }
  // Imported only here, so simulated mode never loads the X11 client.
  const { createLinuxDesktop } = await import('./linux/desktop.js');
  // createLinuxDesktop returns a started desktop.
  return createLinuxDesktop({ display, language: options.language, log: options.log, ...(xauthority ? { xauthority } : {}) });
}

async function openWin32(options: OpenDesktopOptions): Promise<SessionDesktop> {
  // The Windows service + C# session helper ships with its own issue.
  throw new Error(translate(options.language, 'agent.platform.win32Missing'));
}

async function openSimulated(options: OpenDesktopOptions): Promise<SessionDesktop> {
  const { createSimulatedDesktop } = await import('./simulated/desktop.js');
  const desktop = createSimulatedDesktop({ hostname: options.hostname, language: options.language, log: options.log });
  await desktop.start();
  return desktop;
}

const openers: Record<DesktopPlatform, (options: OpenDesktopOptions) => Promise<SessionDesktop>> = {
  simulated: openSimulated,
  linux: openLinux,
  win32: openWin32,
};

/**
 * The desktop this agent drives, decided before any is opened: `keepTrying` when a failure to open
 * it now may pass (a Linux PC at boot, at a Wayland greeter, with a broken Xauthority: the agent
 * runs on, reports the problem and tries again); `refused` with every reason when it can never
 * open here:
 *   --platform simulated                  opens at once everywhere (a failure is a bug: refused);
 *   --platform linux, or none, on Linux   kept trying;
 *   --platform linux on another OS        refused (not Linux);
 *   --platform win32, or none, on Windows refused until the Windows session helper ships;
 *   none on any other OS                  refused (neither Linux nor Windows).
 */
export type DesktopChoice = { platform: DesktopPlatform; keepTrying: boolean } | { refused: string[] };

export function chooseDesktop(platform: DesktopPlatform | undefined, options: { language: Language; osPlatform?: NodeJS.Platform }): DesktopChoice {
  const os = options.osPlatform ?? process.platform;
  const t = (key: string): string => translate(options.language, key);
  if (platform === 'simulated') return { platform, keepTrying: false };
  if (platform === 'linux') return os === 'linux' ? { platform, keepTrying: true } : { refused: [`linux: ${t('agent.platform.notLinux')}`] };
  if (platform === 'win32') return { refused: [`win32: ${t(os === 'win32' ? 'agent.platform.win32Missing' : 'agent.platform.notWindows')}`] };
  if (os === 'linux') return { platform: 'linux', keepTrying: true };
  if (os === 'win32') return { refused: [`win32: ${t('agent.platform.win32Missing')}`] };
  return { refused: [`linux: ${t('agent.platform.notLinux')}`, `win32: ${t('agent.platform.notWindows')}`] };
}

/**
 * Opens the chosen desktop. One that may open later and fails now comes back as a PendingDesktop
 * that keeps trying (its problem() says why); any other failure is a DesktopUnavailableError.
 */
export async function openChosenDesktop(
  choice: { platform: DesktopPlatform; keepTrying: boolean },
  options: OpenDesktopOptions,
  agentLog: AgentLog,
): Promise<SessionDesktop> {
  const open = (): Promise<SessionDesktop> => openers[choice.platform](options);
  try {
    return await open();
  } catch (error) {
    const reason = (error as Error)?.message ?? String(error);
    if (!choice.keepTrying) throw new DesktopUnavailableError([`${choice.platform}: ${reason}`], options.language);
    return new PendingDesktop({ platform: choice.platform, open, firstFailure: reason, log: agentLog });
  }
}

/**
 * Undoes what a crashed run left outside the desktop, before (and whether or not) a desktop opens:
 * on Linux, the student's programs a contested lock paused. With a known display only its recovery
 * note; without one (a service that has not found the session) every note in the notes' folder,
 * whatever display it was for: the display may be gone. Never throws; returns how many notes it found.
 */
export async function resumeProgramsLeftPaused(
  agentLog: AgentLog,
  options: { display?: string; osPlatform?: NodeJS.Platform; notesFolder?: string } = {},
): Promise<number> {
  if ((options.osPlatform ?? process.platform) !== 'linux') return 0;
  try {
    const { defaultRecoveryFile, PausedPrograms } = await import('./linux/paused-programs.js');
    const folder = options.notesFolder ?? path.dirname(defaultRecoveryFile(':0'));
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return 0;
    }
    const own = options.display === undefined ? null : path.basename(defaultRecoveryFile(options.display));
    const notes = names.filter((name) => (own === null ? /^lock-.+\.json$/.test(name) : name === own));
    for (const name of notes) {
      new PausedPrograms(name.slice('lock-'.length, -'.json'.length), path.join(folder, name), (line) => agentLog('desktop', { detail: line })).resumeLeftovers();
    }
    return notes.length;
  } catch (error) {
    agentLog('paused-programs-recover-failed', { reason: (error as Error).message });
    return 0;
  }
}
