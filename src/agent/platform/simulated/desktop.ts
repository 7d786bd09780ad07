// A simulated student desktop for the demo lab and load tests: one or more 1366x768 "monitors"
// side by side, whose pictures are drawn from the clock and the lock/indicator/message state,
// encoded with sharp. Each monitor shows its own app; the whole desktop shows them all.
// It runs the real agent core; only the screen is made up. sharp is loaded on the first capture,
// so an idle simulated PC costs what an idle real agent costs.

import type { Language } from '../../../shared/i18n/index.js';
import type {
  CapturedImage,
  CaptureRequest,
  MonitoringIndicatorState,
  SessionDesktop,
  SessionInfo,
} from '../session-desktop.js';
import { loadSharp } from '../sharp.js';
import { renderDesktopSvg, simulatedScreenHeightPx, simulatedScreenWidthPx, type ScreenView } from './screen.js';

/** Most monitors a simulated PC may have. */
export const maxSimulatedScreens = 4;
/** Env: how many monitors simulated PCs get (default 1), e.g. to try the live view's monitor choice. */
export const simulatedScreensEnvVar = 'SAFELAB_SIMULATED_SCREENS';

/** The monitor count from the environment; anything but 1..maxSimulatedScreens means one. */
export function simulatedScreensFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env[simulatedScreensEnvVar]);
  return Number.isInteger(n) && n >= 1 && n <= maxSimulatedScreens ? n : 1;
}

export interface SimulatedDesktopOptions {
  /** Machine name drawn on the screen; also gives the simulated user (hs07 for "...07"). */
  hostname: string;
  language?: Language;
  log?: (line: string) => void;
  /** Clock, replaceable in tests. */
  now?: () => number;
  /** Monitors side by side, 1..maxSimulatedScreens (default 1). */
  screens?: number;
}

/** "lab1-pc07" -> "hs07": a student account name as school labs often number them. */
export function simulatedUserFor(hostname: string): string {
  const digits = /(\d+)\D*$/.exec(hostname)?.[1];
  const number = digits ? Number(digits.slice(-3)) : 1;
  return `hs${String(number === 0 ? 1 : number).padStart(2, '0')}`;
}

function seedFor(hostname: string): number {
  let h = 0;
  for (let i = 0; i < hostname.length; i++) h = (h * 31 + hostname.charCodeAt(i)) >>> 0;
  return h % 997;
}

export class SimulatedDesktop implements SessionDesktop {
  readonly platform = 'simulated' as const;
  private readonly hostname: string;
  private readonly language: Language;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly seed: number;
  private session: SessionInfo;
  private readonly listeners = new Set<(info: SessionInfo) => void>();
  private locked = false;
  private lockMessage = '';
  private indicator: MonitoringIndicatorState = { visible: false, language: 'vi' };
  private message: ScreenView['message'] = null;
  /** Bumped on every visible change so the one-image cache never serves an outdated picture. */
  private version = 0;
  private cache: { key: string; image: CapturedImage } | null = null;
  /** How many images were actually rendered (not served from the cache); for tests and benchmarks. */
  renderCount = 0;

  constructor(options: SimulatedDesktopOptions) {
    this.hostname = options.hostname;
    this.language = options.language ?? 'vi';
    this.indicator = { visible: false, language: this.language };
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    this.seed = seedFor(options.hostname);
    const count = options.screens ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > maxSimulatedScreens) {
      throw new Error(`a simulated PC has 1 to ${maxSimulatedScreens} screens, not ${count}`);
    }
    this.session = {
      user: simulatedUserFor(options.hostname),
      screens: Array.from({ length: count }, (_, i) => ({
        id: i,
        name: `Simulated ${simulatedScreenWidthPx}x${simulatedScreenHeightPx}${count > 1 ? ` #${i + 1}` : ''}`,
        x: i * simulatedScreenWidthPx,
        y: 0,
        width: simulatedScreenWidthPx,
        height: simulatedScreenHeightPx,
        primary: i === 0,
      })),
    };
  }

  async start(): Promise<void> {
    // Nothing to connect to. No warm-up render: it would map libvips, librsvg and the fonts
    // (about 25 MB) into every idle agent; the first thumbnail of a lesson pays it instead.
  }

  sessionInfo(): SessionInfo {
    return this.session;
  }

  onSessionChange(listener: (info: SessionInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Simulates a user signing in or out (demo lab, tests). */
  setUser(user: string | null): void {
    this.session = { ...this.session, user };
    this.version++;
    for (const listener of this.listeners) listener(this.session);
  }

  get isLocked(): boolean {
    return this.locked;
  }

  async capture(request: CaptureRequest): Promise<CapturedImage> {
    const count = this.session.screens.length;
    if (request.screen !== 'all' && !(Number.isInteger(request.screen) && request.screen >= 0 && request.screen < count)) {
      throw new Error(`no screen ${request.screen} on this PC (it has ${count})`);
    }
    const monitors = request.screen === 'all' ? Array.from({ length: count }, (_, i) => i) : [request.screen];
    const fullWidth = monitors.length * simulatedScreenWidthPx;
    // Never upscale; keep the aspect ratio.
    const width = Math.max(1, Math.min(Math.round(request.width), fullWidth));
    const height = Math.max(1, Math.round((simulatedScreenHeightPx * width) / fullWidth));
    const now = this.now();
    const second = Math.floor(now / 1000);
    const key = `${second}|${this.version}|${request.screen}|${width}|${request.quality}`;
    if (this.cache && this.cache.key === key) return this.cache.image;

    const views: ScreenView[] = monitors.map((monitor) => ({
      machineName: this.hostname,
      monitor: monitor + 1,
      user: this.session.user,
      now,
      language: this.indicator.visible ? this.indicator.language : this.language,
      // Each monitor shows its own app.
      seed: this.seed + monitor * 5,
      locked: this.locked,
      lockMessage: this.lockMessage,
      indicator: this.indicator,
      // A teacher message pops up on the main monitor.
      message: monitor === 0 ? this.message : null,
    }));
    const svg = renderDesktopSvg(views, width, height);
    const sharp = await loadSharp();
    const { data, info } = await sharp(Buffer.from(svg))
      .flatten({ background: '#000000' })
      .jpeg({ quality: Math.min(100, Math.max(1, Math.round(request.quality))) })
      .toBuffer({ resolveWithObject: true });
    this.renderCount++;
    const image: CapturedImage = { jpeg: data, width: info.width, height: info.height, capturedAt: now };
    this.cache = { key, image };
    return image;
  }

  async lock(message: string): Promise<void> {
    this.locked = true;
    this.lockMessage = message;
    this.version++;
    this.log(`simulated screen locked message=${JSON.stringify(message.slice(0, 80))}`);
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    this.lockMessage = '';
    this.version++;
    this.log('simulated screen unlocked');
  }

  async showMessage(text: string, title?: string): Promise<void> {
    this.message = title === undefined ? { text, shownAt: this.now() } : { text, title, shownAt: this.now() };
    this.version++;
    this.log(`simulated message shown text=${JSON.stringify(text.slice(0, 80))}`);
  }

  async setMonitoringIndicator(state: MonitoringIndicatorState): Promise<void> {
    this.indicator = { ...state };
    this.version++;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.cache = null;
    this.locked = false;
  }
}

/** A simulated desktop; its monitor count comes from SAFELAB_SIMULATED_SCREENS unless given. */
export function createSimulatedDesktop(options: SimulatedDesktopOptions): SessionDesktop & SimulatedDesktop {
  return new SimulatedDesktop({ ...options, screens: options.screens ?? simulatedScreensFromEnv() });
}
