// Chooses and opens the desktop implementation for this PC: the --platform flag wins; otherwise
// X11 on Linux when a display answers, the session helper on Windows, else a readable refusal.
// Platform modules are imported lazily so a PC without X never loads the X11 code (and the
// simulated desktop works everywhere). Every opener returns a started desktop.

import { translate, type Language } from '../../shared/i18n/index.js';
import type { FoundDisplay } from './linux/session-display.js';
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
 * Opens the desktop this agent drives, ready to use (started). With an explicit platform its
 * own error is reported; without one, every candidate's reason is listed together.
 */
export async function openDesktop(platform: DesktopPlatform | undefined, options: OpenDesktopOptions): Promise<SessionDesktop> {
  const reasons: string[] = [];
  const candidates: DesktopPlatform[] = platform ? [platform] : ['linux', 'win32'];
  const osPlatform = options.osPlatform ?? process.platform;
  for (const candidate of candidates) {
    if (!platform && candidate === 'linux' && osPlatform !== 'linux') {
      reasons.push(`linux: ${translate(options.language, 'agent.platform.notLinux')}`);
      continue;
    }
    if (!platform && candidate === 'win32' && osPlatform !== 'win32') {
      reasons.push(`win32: ${translate(options.language, 'agent.platform.notWindows')}`);
      continue;
    }
    try {
      return await openers[candidate](options);
    } catch (error) {
      reasons.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  throw new DesktopUnavailableError(reasons, options.language);
}
