// Screen capture on X11: node-screenshots (native, runs off the event loop) grabs each monitor,
// sharp scales and JPEG-encodes on its own threads, so a thumbnail costs the event loop almost
// nothing. A monitor node-screenshots does not list (RandR monitors without an output, e.g. made
// with `xrandr --setmonitor`, or Xinerama heads) is read with a plain GetImage on our X connection.

import { createRequire } from 'node:module';
import type { Sharp } from 'sharp';
import { loadSharp, type SharpFactory } from '../sharp.js';
import type { CaptureRequest, CapturedImage } from '../session-desktop.js';
import { maxThumbnailWidthPx } from '../../../shared/protocol/limits.js';
import { desktopBounds, type Screen } from './screens.js';
import type { XConnection } from './x-connection.js';

type NodeScreenshots = typeof import('node-screenshots');
type NativeMonitor = InstanceType<NodeScreenshots['Monitor']>;

const requireCjs = createRequire(import.meta.url);
let screenshots: NodeScreenshots | undefined;

/** Loads node-screenshots on first use; its native binary comes from npm per platform. */
export function loadScreenshots(): NodeScreenshots {
  if (!screenshots) {
    try {
      screenshots = requireCjs('node-screenshots') as NodeScreenshots;
    } catch (e) {
      throw new Error(`screen capture is unavailable: node-screenshots did not load (${(e as Error).message})`);
    }
  }
  return screenshots;
}

/**
 * node-screenshots opens its own X connection from the DISPLAY environment variable at every call
 * (libxcb reads it then). One process may drive one display, so calls are serialised process-wide
 * and DISPLAY is set to ours just before each one.
 */
let nativeQueue: Promise<unknown> = Promise.resolve();
function withDisplay<T>(display: string, task: () => Promise<T> | T): Promise<T> {
  const run = nativeQueue.then(() => {
    if (process.env['DISPLAY'] !== display) process.env['DISPLAY'] = display;
    return task();
  });
  nativeQueue = run.catch(() => undefined);
  return run;
}

/** Where pixels come from: node-screenshots when it knows the monitor ('auto'), or always GetImage ('x11'). */
export type CaptureSource = 'auto' | 'x11';

interface GrabbedScreen {
  /** Raw pixels for sharp. */
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  /** True when the bytes are B,G,R (X ZPixmap on little-endian servers), not R,G,B. */
  bgr: boolean;
}

interface KnownMonitor {
  monitor: NativeMonitor;
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

const bgrToRgb: [[number, number, number], [number, number, number], [number, number, number]] = [
  [0, 0, 1],
  [0, 1, 0],
  [1, 0, 0],
];

/** The last thumbnail, reused while the screen has not changed since it was taken. */
interface LastThumbnail {
  key: string;
  image: CapturedImage;
}

export class ScreenCapture {
  private monitors: KnownMonitor[] | null = null;
  private monitorsFor = '';
  private last: LastThumbnail | null = null;
  /**
   * False only while X (DAMAGE) guarantees nothing was drawn since the last capture began; without
   * DAMAGE it stays true and every request reads the screen.
   */
  private screenChanged = true;
  /** The DAMAGE object watching the screen, per X connection (null id: no DAMAGE extension). */
  private damage: { conn: XConnection; id: number | null } | null = null;
  private nativeUnavailableLogged = false;

  constructor(
    private readonly display: string,
    private readonly connection: () => XConnection,
    /** 'x11' skips node-screenshots and always reads the screen with GetImage (less memory, see bench/linux). */
    private readonly source: CaptureSource = 'auto',
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Forget node-screenshots' monitor list (screens changed). */
  invalidate(): void {
    this.monitors = null;
    this.last = null;
  }

  /** Something was drawn on screen (DamageNotify): the next request reads the screen again. */
  screenDrawn(): void {
    this.screenChanged = true;
  }

  /**
   * A thumbnail of the screen(s). A teacher's grid asks every second, and most seconds nothing
   * moved: then the previous thumbnail is still exact and is returned without touching the screen.
   */
  async capture(request: CaptureRequest, screens: readonly Screen[]): Promise<CapturedImage> {
    const key = `${request.screen}|${request.width}|${request.quality}|${screens.map((s) => `${s.x},${s.y},${s.width},${s.height}`).join(';')}`;
    const conn = this.connection();
    const damage = this.damageWatch(conn);
    if (!this.screenChanged && this.last?.key === key) return { ...this.last.image, capturedAt: Date.now() };
    if (damage !== null) {
      // Re-arm before reading: anything drawn while we read marks the screen changed again. The
      // round trip makes sure the server re-armed before node-screenshots (another connection) reads.
      this.screenChanged = false;
      conn.rearmScreenChanges(damage);
      await conn.sync();
    }
    try {
      const image = await this.read(request, screens);
      this.last = { key, image };
      return image;
    } catch (e) {
      this.screenChanged = true;
      this.last = null;
      throw e;
    }
  }

  private damageWatch(conn: XConnection): number | null {
    if (this.damage?.conn !== conn) {
      // New connection (first capture, or after a reconnect): nothing known about the screen.
      this.damage = { conn, id: conn.watchScreenChanges() };
      this.screenChanged = true;
      this.last = null;
    }
    return this.damage.id;
  }

  private async read(request: CaptureRequest, screens: readonly Screen[]): Promise<CapturedImage> {
    if (screens.length === 0) throw new Error('capture failed: the X session reports no screen');
    const quality = Math.min(100, Math.max(1, Math.round(request.quality)));
    const wanted = Math.min(maxThumbnailWidthPx, Math.max(1, Math.round(request.width)));
    const capturedAt = Date.now();
    const sharp = await loadSharp();
    if (request.screen !== 'all' || screens.length === 1) {
      const index = request.screen === 'all' ? 0 : request.screen;
      const screen = screens[index];
      if (!screen) throw new Error(`capture failed: there is no screen ${index} (this PC has ${screens.length})`);
      const grabbed = await this.grab(screen, screens);
      const width = Math.min(wanted, grabbed.width); // never upscale
      const height = Math.max(1, Math.round((grabbed.height * width) / grabbed.width));
      const jpeg = await this.pipeline(sharp, grabbed).resize(width, height, { fit: 'fill' }).jpeg({ quality }).toBuffer();
      return { jpeg, width, height, capturedAt };
    }
    // Whole desktop: every monitor scaled into its place on one canvas (gaps stay black).
    const bounds = desktopBounds(screens);
    const width = Math.min(wanted, bounds.width);
    const scale = width / bounds.width;
    const height = Math.max(1, Math.round(bounds.height * scale));
    const grabbed = await Promise.all(screens.map((s) => this.grab(s, screens)));
    const tiles = await Promise.all(
      screens.map(async (s, i) => {
        const left = Math.min(width - 1, Math.round((s.x - bounds.x) * scale));
        const top = Math.min(height - 1, Math.round((s.y - bounds.y) * scale));
        const w = Math.max(1, Math.min(width - left, Math.round(s.width * scale)));
        const h = Math.max(1, Math.min(height - top, Math.round(s.height * scale)));
        const input = await this.pipeline(sharp, grabbed[i]!).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer();
        return { input, raw: { width: w, height: h, channels: 3 as const }, left, top };
      }),
    );
    const jpeg = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite(tiles)
      .jpeg({ quality })
      .toBuffer();
    return { jpeg, width, height, capturedAt };
  }

  private pipeline(sharp: SharpFactory, g: GrabbedScreen): Sharp {
    const p = sharp(g.data, { raw: { width: g.width, height: g.height, channels: g.channels } });
    return g.bgr ? p.removeAlpha().recomb(bgrToRgb) : p;
  }

  /** Pixels of one screen: node-screenshots when it knows the monitor, GetImage otherwise. */
  private async grab(screen: Screen, screens: readonly Screen[]): Promise<GrabbedScreen> {
    const known = this.source === 'auto' ? await this.nativeMonitorFor(screen, screens) : null;
    if (known) {
      try {
        const image = await withDisplay(this.display, () => known.monitor.captureImage());
        const data = await image.toRaw();
        return { data, width: image.width, height: image.height, channels: 4, bgr: false };
      } catch {
        // A monitor unplugged between listing and capture: list again next time, read it directly now.
        this.monitors = null;
      }
    }
    const conn = this.connection();
    if (conn.pixelBytes !== 4) throw new Error(`capture failed: ${conn.rootDepth}-bit X screens are not supported`);
    const data = await conn.rootImage(screen);
    // ZPixmap's fourth byte is padding (0); sharp would read it as transparent and blacken the picture.
    const alpha = conn.imageMsbFirst ? 0 : 3;
    for (let i = alpha; i < data.length; i += 4) data[i] = 255;
    if (conn.imageMsbFirst) {
      // X,R,G,B: rotate to R,G,B,X (rare big-endian servers; cost is fine there).
      for (let i = 0; i < data.length; i += 4) {
        const x = data[i]!;
        data[i] = data[i + 1]!;
        data[i + 1] = data[i + 2]!;
        data[i + 2] = data[i + 3]!;
        data[i + 3] = x;
      }
      return { data, width: screen.width, height: screen.height, channels: 4, bgr: false };
    }
    return { data, width: screen.width, height: screen.height, channels: 4, bgr: true };
  }

  private async nativeMonitorFor(screen: Screen, screens: readonly Screen[]): Promise<KnownMonitor | null> {
    const key = screens.map((s) => `${s.x},${s.y},${s.width},${s.height},${s.outputs.join('+')}`).join(';');
    if (!this.monitors || this.monitorsFor !== key) {
      this.monitorsFor = key;
      this.monitors = await withDisplay(this.display, () => {
        const { Monitor } = loadScreenshots();
        return Monitor.all().map((monitor) => ({
          monitor,
          id: monitor.id(),
          x: monitor.x(),
          y: monitor.y(),
          width: monitor.width(),
          height: monitor.height(),
        }));
      }).catch((e: unknown) => {
        // Loaded on first use, so an idle agent never maps it; without it GetImage reads every screen.
        if (!this.nativeUnavailableLogged) this.log(`capture.native-unavailable reason=${JSON.stringify((e as Error).message)}`);
        this.nativeUnavailableLogged = true;
        return [] as KnownMonitor[];
      });
    }
    const list = this.monitors;
    // Same RandR output and same geometry; otherwise (HiDPI scaling, no output) read it ourselves.
    return (
      list.find(
        (m) => screen.outputs.includes(m.id) && m.x === screen.x && m.y === screen.y && m.width === screen.width && m.height === screen.height,
      ) ?? null
    );
  }
}
