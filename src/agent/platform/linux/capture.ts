// Screen capture on X11, made for old PCs. The screen is read band by band into one shared-memory
// segment (MIT-SHM: the X server copies the pixels, nothing crosses the socket, nothing is
// allocated per capture), each band is box-averaged down as it arrives (shrink.ts), and sharp
// only finishes and JPEG-encodes a small picture. Measured at 1920x1080 → 320 px: about half the
// CPU of reading whole frames with node-screenshots and sharp, and RSS stays near idle instead of
// climbing by 150 MB (bench/linux). Without MIT-SHM (a remote display) the same bands come by plain
// GetImage. node-screenshots remains available ('native'), but it keeps one X connection for the
// life of the process: after the X server restarts (every logout) it fails until the agent restarts.

import { createRequire } from 'node:module';
import { loadSharp } from '../sharp.js';
import type { CaptureRequest, CapturedImage } from '../session-desktop.js';
import { maxThumbnailWidthPx } from '../../../shared/protocol/limits.js';
import { desktopBounds, type Screen } from './screens.js';
import { shrinkBand, shrinkFactor } from './shrink.js';
import type { ImageBand, XConnection } from './x-connection.js';

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

/** Where the X session is, for node-screenshots (which knows only the environment). */
export interface SessionEnv {
  DISPLAY: string;
  XAUTHORITY?: string;
}

/**
 * node-screenshots opens its own X connection from the DISPLAY (and XAUTHORITY) environment
 * variables at every call (libxcb reads them then, on its worker thread). So native calls are
 * serialised process-wide and the variables are set to our session's only for the duration of
 * each call, then put back: nothing else in the process ever sees our values.
 */
let nativeQueue: Promise<unknown> = Promise.resolve();
function withSessionEnv<T>(env: SessionEnv, task: () => Promise<T> | T): Promise<T> {
  const run = nativeQueue.then(async () => {
    const before = { DISPLAY: process.env['DISPLAY'], XAUTHORITY: process.env['XAUTHORITY'] };
    const set = (name: 'DISPLAY' | 'XAUTHORITY', value: string | undefined): void => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    set('DISPLAY', env.DISPLAY);
    if (env.XAUTHORITY !== undefined) set('XAUTHORITY', env.XAUTHORITY);
    try {
      return await task();
    } finally {
      set('DISPLAY', before.DISPLAY);
      set('XAUTHORITY', before.XAUTHORITY);
    }
  });
  nativeQueue = run.catch(() => undefined);
  return run;
}

/** Distinct fallback reasons logged per desktop; more would only repeat the story. */
export const maxLoggedFallbacks = 8;

/** Size of the shared-memory band the screen is read through (grown when one row group needs more). */
export const captureBandBytes = 1024 * 1024;

/**
 * Where pixels come from: 'shm' (default) reads bands through MIT-SHM, falling back to GetImage;
 * 'x11' always uses GetImage; 'native' uses node-screenshots for the monitors it knows.
 */
export type CaptureSource = 'shm' | 'x11' | 'native';

/** How many screens each path has read since the desktop started (tests and diagnostics). */
export interface CaptureReads {
  /** MIT-SHM bands. */
  shm: number;
  /** GetImage bands over the X socket (no MIT-SHM, or chosen). */
  getImage: number;
  /** node-screenshots. */
  native: number;
}

export interface ScreenCaptureOptions {
  source?: CaptureSource;
  log?: (line: string) => void;
  /** How node-screenshots is loaded (a test replaces it to see the fallback). */
  loadNative?: () => NodeScreenshots;
}

interface KnownMonitor {
  monitor: NativeMonitor;
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** RGB pixels, 3 bytes each, rows packed. */
interface RgbPicture {
  data: Buffer;
  width: number;
  height: number;
}

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
  /** The shared-memory band, per X connection (null band: MIT-SHM unusable there, read by GetImage). */
  private band: { conn: XConnection; band: ImageBand | null } | null = null;
  private nativeUnavailableLogged = false;
  /** Fallback reasons already logged (each once: a fallback is news, not a per-thumbnail event). */
  private readonly loggedFallbacks = new Set<string>();
  private readonly counts: CaptureReads = { shm: 0, getImage: 0, native: 0 };
  private readonly source: CaptureSource;
  private readonly log: (line: string) => void;
  private readonly loadNative: () => NodeScreenshots;

  constructor(
    private readonly env: SessionEnv,
    private readonly connection: () => XConnection,
    options: ScreenCaptureOptions = {},
  ) {
    this.source = options.source ?? 'shm';
    this.log = options.log ?? (() => undefined);
    this.loadNative = options.loadNative ?? loadScreenshots;
  }

  /** Screens read by each path so far. */
  reads(): CaptureReads {
    return { ...this.counts };
  }

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
      // round trip makes sure the server re-armed before anything (node-screenshots is another
      // connection) reads.
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
      const width = Math.min(wanted, screen.width); // never upscale
      const height = Math.max(1, Math.round((screen.height * width) / screen.width));
      const picture = await this.scaled(screen, width, height, screens);
      const jpeg = await sharp(picture.data, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
      return { jpeg, width, height, capturedAt };
    }
    // Whole desktop: every monitor scaled into its place on one canvas (gaps stay black).
    const bounds = desktopBounds(screens);
    const width = Math.min(wanted, bounds.width);
    const scale = width / bounds.width;
    const height = Math.max(1, Math.round(bounds.height * scale));
    const tiles = [];
    // One screen after another: the band and the process's memory are reused, not multiplied.
    for (const s of screens) {
      const left = Math.min(width - 1, Math.round((s.x - bounds.x) * scale));
      const top = Math.min(height - 1, Math.round((s.y - bounds.y) * scale));
      const w = Math.max(1, Math.min(width - left, Math.round(s.width * scale)));
      const h = Math.max(1, Math.min(height - top, Math.round(s.height * scale)));
      const picture = await this.scaled(s, w, h, screens);
      tiles.push({ input: picture.data, raw: { width: w, height: h, channels: 3 as const }, left, top });
    }
    const jpeg = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite(tiles)
      .jpeg({ quality })
      .toBuffer();
    return { jpeg, width, height, capturedAt };
  }

  /** One screen as exactly `width`×`height` RGB pixels. */
  private async scaled(screen: Screen, width: number, height: number, screens: readonly Screen[]): Promise<RgbPicture> {
    const sharp = await loadSharp();
    const native = this.source === 'native' ? await this.readNative(screen, screens) : null;
    if (native) {
      const data = await sharp(native.data, { raw: { width: native.width, height: native.height, channels: 4 } })
        .removeAlpha()
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer();
      return { data, width, height };
    }
    const shrunk = await this.readShrunk(screen, width, height);
    if (shrunk.width === width && shrunk.height === height) return shrunk;
    const data = await sharp(shrunk.data, { raw: { width: shrunk.width, height: shrunk.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
    return { data, width, height };
  }

  /**
   * Reads one screen band by band (MIT-SHM, or GetImage without it) and box-averages it down by
   * the largest whole factor that keeps it at least `width`×`height`.
   */
  private async readShrunk(screen: Screen, width: number, height: number): Promise<RgbPicture> {
    const conn = this.connection();
    if (conn.pixelBytes !== 4) throw new Error(`capture failed: ${conn.rootDepth}-bit X screens are not supported`);
    const k = shrinkFactor(screen.width, screen.height, width, height);
    const outWidth = Math.floor(screen.width / k);
    const outHeight = Math.floor(screen.height / k);
    const rowBytes = screen.width * 4;
    const band = this.source === 'x11' ? null : await this.imageBand(conn, rowBytes * k);
    const bandBytes = band?.bytes ?? captureBandBytes;
    const rowsPerBand = k * Math.max(1, Math.floor(bandBytes / (rowBytes * k)));
    const target = { out: Buffer.allocUnsafe(outWidth * outHeight * 3), width: outWidth, sums: new Uint32Array(outWidth * 3) };
    let outRow = 0;
    for (let y = 0; y < outHeight * k; y += rowsPerBand) {
      const rows = Math.min(rowsPerBand, outHeight * k - y);
      const rect = { x: screen.x, y: screen.y + y, width: screen.width, height: rows };
      const pixels = band ? await band.read(rect) : await conn.rootImage(rect);
      outRow += shrinkBand(pixels, screen.width, rows, k, conn.imageMsbFirst, target, outRow);
    }
    this.counts[band ? 'shm' : 'getImage']++;
    return { data: target.out, width: outWidth, height: outHeight };
  }

  /** The shared-memory band of this connection, at least `minBytes` large; null without MIT-SHM (logged once). */
  private async imageBand(conn: XConnection, minBytes: number): Promise<ImageBand | null> {
    if (this.band?.conn === conn && (this.band.band === null || this.band.band.bytes >= minBytes)) return this.band.band;
    if (this.band?.conn === conn) this.band.band?.release();
    const opened = await conn.imageBand(Math.max(captureBandBytes, minBytes));
    this.band = { conn, band: opened.band };
    if (!opened.band) this.fallback('shm-unavailable', `capture.shm-unavailable reason=${JSON.stringify(opened.reason)} (reading the screen with GetImage)`);
    return opened.band;
  }

  /** RGBA pixels of one screen from node-screenshots, or null (then the screen is read by bands). */
  private async readNative(screen: Screen, screens: readonly Screen[]): Promise<{ data: Buffer; width: number; height: number } | null> {
    const known = await this.nativeMonitorFor(screen, screens);
    if (!known) {
      if (!this.nativeUnavailableLogged) {
        // Expected for monitors without a RandR output (xrandr --setmonitor … none) or scaled ones.
        this.fallback(
          `unlisted:${screen.x},${screen.y},${screen.width},${screen.height}`,
          `capture.read-by-getimage screen=${JSON.stringify(screen.name)} reason="node-screenshots does not list this monitor"`,
        );
      }
      return null;
    }
    try {
      const image = await withSessionEnv(this.env, () => known.monitor.captureImage());
      const data = await image.toRaw();
      this.counts.native++;
      return { data, width: image.width, height: image.height };
    } catch (e) {
      // A monitor unplugged between listing and capture, or (for good) an X server that restarted
      // since node-screenshots connected: list again next time, read by bands now.
      this.monitors = null;
      this.fallback(`native-failed:${(e as Error).message}`, `capture.native-failed screen=${JSON.stringify(screen.name)} reason=${JSON.stringify((e as Error).message)}`);
      return null;
    }
  }

  /** Logs a fallback once per reason. */
  private fallback(key: string, line: string): void {
    if (this.loggedFallbacks.has(key) || this.loggedFallbacks.size >= maxLoggedFallbacks) return;
    this.loggedFallbacks.add(key);
    this.log(line);
  }

  private async nativeMonitorFor(screen: Screen, screens: readonly Screen[]): Promise<KnownMonitor | null> {
    const key = screens.map((s) => `${s.x},${s.y},${s.width},${s.height},${s.outputs.join('+')}`).join(';');
    if (!this.monitors || this.monitorsFor !== key) {
      this.monitorsFor = key;
      this.monitors = await withSessionEnv(this.env, () => {
        const { Monitor } = this.loadNative();
        return Monitor.all().map((monitor) => ({
          monitor,
          id: monitor.id(),
          x: monitor.x(),
          y: monitor.y(),
          width: monitor.width(),
          height: monitor.height(),
        }));
      }).catch((e: unknown) => {
        // Loaded on first use, so an idle agent never maps it; without it the bands read every screen.
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
