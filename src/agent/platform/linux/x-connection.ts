// One connection to an X display: the pure-JS `x11` client behind typed, promise-returning calls.
//
// The `x11` package has no type definitions and answers through callbacks; this file is the only
// place that touches it, so the rest of platform/linux reads as plain async TypeScript. Requests
// whose replies never come (the connection died, the server hangs) are rejected: by `close`, or
// after `replyTimeoutMs`.

import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { XCookie } from './xauthority.js';

/** How long an X request may wait for its reply before we call the display unusable. */
export const replyTimeoutMs = 5_000;

/** How long connecting (socket + X setup + BIG-REQUESTS) may take. */
export const connectTimeoutMs = 5_000;

/** Largest single PutImage request we send, whatever the server would accept (keeps writes short). */
export const maxPutImageBytes = 1024 * 1024;

/** Core event mask bits (X11 protocol, section "Events"). */
export const eventMask = {
  KeyPress: 0x1,
  KeyRelease: 0x2,
  ButtonPress: 0x4,
  ButtonRelease: 0x8,
  EnterWindow: 0x10,
  LeaveWindow: 0x20,
  PointerMotion: 0x40,
  Exposure: 0x8000,
  VisibilityChange: 0x10000,
  StructureNotify: 0x20000,
  SubstructureNotify: 0x80000,
  FocusChange: 0x200000,
  PropertyChange: 0x400000,
} as const;

/** GrabKeyboard / GrabPointer reply status (X11 protocol). */
export const grabStatus = { success: 0, alreadyGrabbed: 1, invalidTime: 2, notViewable: 3, frozen: 4 } as const;

/** A parsed X event as the `x11` package delivers it (only the fields we read). */
export interface XEvent {
  type: number;
  name?: string;
  /** Event window (for structure events selected on a parent: the child). */
  wid?: number;
  /** Structure events: the window the event was selected on. */
  event?: number;
  /** ConfigureNotify only: the window that was configured (the package's name for it). */
  wid1?: number;
  /** ConfigureNotify: the sibling the window now sits directly above (0: bottom of the stack). */
  aboveSibling?: number;
  /** CreateNotify: the new window's parent. */
  parent?: number;
  /** CirculateNotify: 0 PlaceOnTop, 1 PlaceOnBottom. */
  place?: number;
  /** FocusIn/Out, Enter/Leave: 0 Normal, 1 Grab, 2 Ungrab, 3 WhileGrabbed. */
  mode?: number;
  /** VisibilityNotify: 0 Unobscured, 1 PartiallyObscured, 2 FullyObscured. */
  state?: number;
  /** KeyPress/ButtonPress: key code or button number. */
  keycode?: number;
  overrideRedirect?: boolean | number;
}

/** The window a structure event is about (MapNotify, ConfigureNotify…), whichever window it was selected on. */
export function subjectWindow(ev: XEvent): number | undefined {
  return ev.name === 'ConfigureNotify' ? ev.wid1 : ev.wid;
}

/** An X protocol error as the `x11` package reports it. */
export interface XProtocolError extends Error {
  error?: number;
  majorOpcode?: number;
  minorOpcode?: number;
  badParam?: number;
}

export interface WindowAttributes {
  mapState: number;
  overrideRedirect: number;
  klass: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A monitor as RandR 1.5 GetMonitors reports it. */
export interface RandrMonitor extends Rect {
  name: string;
  primary: boolean;
  outputs: number[];
}

/** The callback shape of every `x11` request: return true from an error callback = "handled". */
type XCallback<T> = (err: XProtocolError | null | undefined, value: T) => unknown;

interface PackStream {
  put(b: Buffer): void;
  submit(expectsReply?: boolean): boolean;
}

/** The subset of the `x11` client object this file uses. */
interface RawClient extends EventEmitter {
  seq_num: number;
  replies: Record<number, unknown>;
  pack_stream: PackStream;
  eventParsers: Record<number, (type: number, seq: number, extra: number, code: number, raw: Buffer) => XEvent>;
  stream?: { destroyed?: boolean; on(event: string, listener: (...args: unknown[]) => void): void };
  AllocID(): number;
  require(name: string, cb: (err: Error | null, ext: RawExtension) => void): void;
  terminate(): void;
  [request: string]: unknown;
}

interface RawExtension {
  majorOpcode: number;
  firstEvent: number;
  major_version?: number;
  minor_version?: number;
  [member: string]: unknown;
}

interface RawScreen {
  root: number;
  root_depth: number;
  root_visual: number;
  pixel_width: number;
  pixel_height: number;
  white_pixel: number;
  black_pixel: number;
}

interface RawDisplay {
  client: RawClient;
  screen: RawScreen[];
  max_request_length?: number;
  image_byte_order: number;
  min_keycode?: number;
  max_keycode?: number;
  format?: Record<number, { bits_per_pixel: number; scanline_pad: number }>;
}

interface X11Module {
  createClient(options: { display: string; shm: SharedMemoryProvider | 'off'; auth?: { name: string; data: string } }, cb: (err: Error | null, display: RawDisplay) => void): RawClient;
}

const requireCjs = createRequire(import.meta.url);
let x11Module: X11Module | undefined;
function loadX11(): X11Module {
  x11Module ??= requireCjs('x11') as X11Module;
  return x11Module;
}

/** Optional extensions we use, each null when the server lacks it. */
export interface Extensions {
  randr: RawExtension | null;
  xinerama: RawExtension | null;
  shape: RawExtension | null;
  damage: RawExtension | null;
  /** X-Resource ≥ 1.2: which process each client is (the contested-lock defence). */
  res: RawExtension | null;
  /** XTEST: synthetic key presses (breaking a foreign grab) and imperviousness to server grabs. */
  xtest: RawExtension | null;
}

/**
 * A shared-memory band of the screen (MIT-SHM). `read` fills the same Buffer every time (valid
 * until the next read) with a ZPixmap rectangle of the root window at the root depth.
 */
export interface ImageBand {
  bytes: number;
  read(rect: Rect): Promise<Buffer>;
  release(): void;
}

/** The segment object of the `x11` package's MIT-SHM support (lib/ext/shm.js). */
interface RawSegment {
  size: number;
  buffer: Buffer;
  getImage(drawable: number, x: number, y: number, width: number, height: number, planeMask: number, format: number, offset: number, cb: (err: Error | null) => unknown): void;
  detach(): void;
}

/** One client of the X server as X-Resource reports it: its XID base and its process (local clients only). */
export interface XClientId {
  resourceBase: number;
  pid: number | null;
}

export type ClosedReason = 'closed-by-us' | 'connection-lost';

export class XConnection extends EventEmitter<{ event: [XEvent]; closed: [ClosedReason]; protocolError: [XProtocolError] }> {
  readonly display: string;
  readonly root: number;
  readonly rootDepth: number;
  /** Bytes per pixel and byte order of a ZPixmap image at the root depth (PutImage layout). */
  readonly pixelBytes: number;
  readonly imageMsbFirst: boolean;
  readonly maxRequestBytes: number;
  readonly extensions: Extensions = { randr: null, xinerama: null, shape: null, damage: null, res: null, xtest: null };
  /** Lowest and highest key codes of the server (the keyboard mapping covers this range). */
  readonly keycodeRange: { min: number; max: number };
  private readonly raw: RawClient;
  private readonly pending = new Set<(err: Error) => void>();
  private closedReason: ClosedReason | null = null;

  private constructor(
    display: string,
    raw: RawDisplay,
    /** MIT-SHM segments of this connection, closed with it (see sharedMemoryProvider). */
    private readonly segments: Set<ProviderSegment>,
  ) {
    super();
    this.display = display;
    this.raw = raw.client;
    const screen = raw.screen[0]!;
    this.root = screen.root;
    this.rootDepth = screen.root_depth;
    this.pixelBytes = (raw.format?.[screen.root_depth]?.bits_per_pixel ?? 32) / 8;
    this.imageMsbFirst = raw.image_byte_order === 1;
    // max_request_length is in 4-byte units (after BIG-REQUESTS when the server has it).
    this.maxRequestBytes = (raw.max_request_length ?? 65535) * 4;
    this.keycodeRange = { min: raw.min_keycode ?? 8, max: raw.max_keycode ?? 255 };
    forgetOtherServersAtoms(this.raw);
    this.raw.on('event', (ev: XEvent) => this.emit('event', ev));
    // Errors of requests sent without a callback (a window that vanished under us): report, never crash.
    this.raw.on('error', (err: XProtocolError) => {
      if (this.closedReason) return;
      if (typeof err.error === 'number') this.emit('protocolError', err);
      else this.markClosed('connection-lost');
    });
    this.raw.on('end', () => this.markClosed('connection-lost'));
    this.raw.stream?.on('close', () => this.markClosed('connection-lost'));
  }

  /**
   * Connects to `display` (":0", ":1.0", …) with `auth` when given (else the package reads
   * $XAUTHORITY or ~/.Xauthority). Rejects with an XConnectError IT staff can act on; its
   * `refused` tells a server that turned our cookie down from one that is not there.
   */
  static open(display: string, options: { auth?: XCookie } = {}): Promise<XConnection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let client: RawClient | undefined;
      const fail = (why: string, refused = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A connection that failed (or took too long) during setup is of no use: never leave its
        // socket open, or a reconnect loop would use up the X server's client slots.
        try {
          client?.terminate();
        } catch {
          // already gone
        }
        reject(new XConnectError(`cannot use X display ${display}: ${why}`, refused));
      };
      const timer = setTimeout(() => fail(`no answer within ${connectTimeoutMs} ms`), connectTimeoutMs);
      const sharedMemory = sharedMemoryProvider();
      try {
        client = loadX11().createClient({ display, shm: sharedMemory.provider ?? 'off', ...(options.auth ? { auth: options.auth } : {}) }, (err, raw) => {
          if (err) return fail(describeConnectError(err), isRefusal(err));
          if (settled) {
            raw.client.terminate();
            return;
          }
          settled = true;
          clearTimeout(timer);
          const conn = new XConnection(display, raw, sharedMemory.segments);
          conn.loadExtensions().then(
            () => resolve(conn),
            (e: unknown) => {
              conn.close();
              reject(new XConnectError(`cannot use X display ${display}: ${(e as Error).message}`, false));
            },
          );
        });
      } catch (e) {
        fail((e as Error).message);
        return;
      }
      // Before setup completes only (fail ignores the rest): later errors are the XConnection's.
      client.on('error', (err: Error) => fail(describeConnectError(err), isRefusal(err)));
    });
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  close(): void {
    if (this.closedReason) return;
    this.markClosed('closed-by-us');
    try {
      this.raw.terminate();
    } catch {
      // already gone
    }
  }

  // ---- requests --------------------------------------------------------------------------

  allocId(): number {
    return this.raw.AllocID();
  }

  /** Calls a request with a reply (or a void request with a checked callback) and awaits it. */
  private call<T>(name: string, ...args: unknown[]): Promise<T> {
    if (this.closedReason) return Promise.reject(new Error(`X display ${this.display} is closed`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`X display ${this.display} did not answer ${name} within ${replyTimeoutMs} ms`)),
        replyTimeoutMs,
      );
      const done = (err: Error | null, value?: T): void => {
        if (!this.pending.delete(onClose)) return;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onClose = (err: Error): void => done(err);
      this.pending.add(onClose);
      const cb: XCallback<T> = (err, value) => {
        if (err) {
          const e = err as XProtocolError;
          e.message = `${name}: ${e.message || 'X error ' + String(e.error)}`;
          done(e);
        } else done(null, value);
        return true;
      };
      try {
        (this.raw[name] as (...a: unknown[]) => unknown)(...args, cb);
      } catch (e) {
        done(e as Error);
      }
    });
  }

  /** Sends a request without waiting; its errors arrive as 'protocolError' events. */
  private send(name: string, ...args: unknown[]): void {
    if (this.closedReason) return;
    try {
      (this.raw[name] as (...a: unknown[]) => unknown)(...args);
    } catch {
      // the connection is going away; 'closed' tells the owner
    }
  }

  /** Round trip: every request sent so far has been processed when this resolves. */
  sync(): Promise<void> {
    return this.call<unknown>('GetInputFocus').then(() => undefined);
  }

  createWindow(
    wid: number,
    parent: number,
    rect: Rect,
    values: {
      backgroundPixel?: number;
      overrideRedirect?: number;
      eventMask?: number;
      cursor?: number;
      saveUnder?: number;
    },
  ): void {
    // border 0, depth/class/visual CopyFromParent
    this.send('CreateWindow', wid, parent, rect.x, rect.y, Math.max(1, rect.width), Math.max(1, rect.height), 0, 0, 0, 0, values);
  }

  changeWindowAttributes(wid: number, values: { backgroundPixmap?: number; backgroundPixel?: number; eventMask?: number; overrideRedirect?: number }): void {
    this.send('ChangeWindowAttributes', wid, values);
  }

  /** Selects events on a window we do not own (the root); resolves false when refused. */
  async selectEvents(wid: number, mask: number): Promise<boolean> {
    try {
      await this.call<void>('ChangeWindowAttributes', wid, { eventMask: mask });
      return true;
    } catch {
      return false;
    }
  }

  mapWindow(wid: number): void {
    this.send('MapWindow', wid);
  }

  unmapWindow(wid: number): void {
    this.send('UnmapWindow', wid);
  }

  destroyWindow(wid: number): void {
    this.send('DestroyWindow', wid);
  }

  raiseWindow(wid: number): void {
    this.send('RaiseWindow', wid);
  }

  moveResizeWindow(wid: number, rect: Rect): void {
    this.send('MoveResizeWindow', wid, rect.x, rect.y, Math.max(1, rect.width), Math.max(1, rect.height));
  }

  clearArea(wid: number): void {
    this.send('ClearArea', wid, 0, 0, 0, 0, 0);
  }

  /** Resolves null when the window does not exist (any more). */
  async windowAttributes(wid: number): Promise<WindowAttributes | null> {
    try {
      return await this.call<WindowAttributes>('GetWindowAttributes', wid);
    } catch (e) {
      if (this.closedReason) throw e;
      return null;
    }
  }

  async windowGeometry(wid: number): Promise<Rect | null> {
    try {
      const g = await this.call<{ xPos: number; yPos: number; width: number; height: number }>('GetGeometry', wid);
      return { x: g.xPos, y: g.yPos, width: g.width, height: g.height };
    } catch (e) {
      if (this.closedReason) throw e;
      return null;
    }
  }

  /** Children of `wid`, bottom to top in stacking order. */
  async children(wid: number): Promise<number[]> {
    const tree = await this.call<{ children: number[] }>('QueryTree', wid);
    return tree.children;
  }

  grabKeyboard(wid: number): Promise<number> {
    // owner_events false, time CurrentTime, pointer and keyboard modes Asynchronous
    return this.call<number>('GrabKeyboard', wid, 0, 0, 1, 1);
  }

  grabPointer(wid: number, confineTo: number, mask: number): Promise<number> {
    return this.call<number>('GrabPointer', wid, 0, mask, 1, 1, confineTo, 0, 0);
  }

  ungrabKeyboard(): void {
    this.send('UngrabKeyboard', 0);
  }

  ungrabPointer(): void {
    this.send('UngrabPointer', 0);
  }

  async pointerPosition(): Promise<{ x: number; y: number }> {
    const p = await this.call<{ rootX: number; rootY: number }>('QueryPointer', this.root);
    return { x: p.rootX, y: p.rootY };
  }

  warpPointer(x: number, y: number): void {
    this.send('WarpPointer', 0, this.root, 0, 0, 0, 0, x, y);
  }

  async inputFocus(): Promise<{ window: number; revertTo: number }> {
    const f = await this.call<{ focus: number; revertTo: number }>('GetInputFocus');
    return { window: f.focus, revertTo: f.revertTo };
  }

  /** Gives the keyboard focus back to a window; resolves false when it cannot take it (gone, unmapped). */
  async setInputFocus(wid: number, revertTo: number): Promise<boolean> {
    try {
      await this.call<void>('SetInputFocus', wid, revertTo, 0);
      return true;
    } catch (e) {
      if (this.closedReason) throw e;
      return false;
    }
  }

  /** Does the window carry this property (any type)? False when the window is gone. */
  async hasProperty(wid: number, atom: number): Promise<boolean> {
    try {
      const p = await this.call<{ type: number }>('GetProperty', 0, wid, atom, 0, 0, 0);
      return p.type !== 0;
    } catch (e) {
      if (this.closedReason) throw e;
      return false;
    }
  }

  internAtom(name: string): Promise<number> {
    return this.call<number>('InternAtom', false, name);
  }

  atomName(atom: number): Promise<string> {
    return this.call<string>('GetAtomName', atom);
  }

  /** Sets a UTF-8/Latin-1 text property (WM_NAME, WM_CLASS…) so tools like xwininfo can name our windows. */
  async nameWindow(wid: number, name: string, className: string): Promise<void> {
    const [utf8, netWmName] = await Promise.all([this.internAtom('UTF8_STRING'), this.internAtom('_NET_WM_NAME')]);
    const WM_NAME = 39;
    const WM_CLASS = 67;
    const STRING = 31;
    this.send('ChangeProperty', 0, wid, WM_NAME, STRING, 8, Buffer.from(name, 'latin1'));
    this.send('ChangeProperty', 0, wid, netWmName, utf8, 8, Buffer.from(name, 'utf8'));
    this.send('ChangeProperty', 0, wid, WM_CLASS, STRING, 8, Buffer.from(`${className.toLowerCase()}\0${className}\0`, 'latin1'));
  }

  /**
   * Creates a pixmap at the root depth holding `image` (ZPixmap bytes, see zpixmap.ts), sending
   * it in row bands that fit the server's request limit. The caller frees it.
   */
  createPixmapWithImage(image: { data: Buffer; width: number; height: number }): number {
    const pixmap = this.allocId();
    const gc = this.allocId();
    this.send('CreatePixmap', pixmap, this.root, this.rootDepth, image.width, image.height);
    this.send('CreateGC', gc, pixmap, {});
    const rowBytes = image.width * this.pixelBytes;
    const limit = Math.min(maxPutImageBytes, this.maxRequestBytes - 64);
    const rowsPerBand = Math.max(1, Math.floor(limit / rowBytes));
    for (let y = 0; y < image.height; y += rowsPerBand) {
      const rows = Math.min(rowsPerBand, image.height - y);
      const band = image.data.subarray(y * rowBytes, (y + rows) * rowBytes);
      // format 2 = ZPixmap, left pad 0
      this.send('PutImage', 2, pixmap, gc, image.width, rows, 0, y, 0, this.rootDepth, band);
    }
    this.send('FreeGC', gc);
    return pixmap;
  }

  freePixmap(pixmap: number): void {
    this.send('FreePixmap', pixmap);
  }

  /**
   * MIT-SHM: a shared segment of `bytes` that the server copies screen rectangles into, read back
   * into one Buffer that lives as long as the segment: reading the screen band by band then
   * allocates nothing per capture. Null when SHM cannot be used (remote display, no /dev/shm,
   * a server that refuses to attach), with the reason.
   */
  async imageBand(bytes: number): Promise<{ band: ImageBand } | { band: null; reason: string }> {
    if (this.closedReason) return { band: null, reason: 'the X connection is closed' };
    const shm = await new Promise<RawExtension | null>((resolve) => {
      try {
        this.raw.require('shm', (err, ext) => resolve(err ? null : ext));
      } catch {
        resolve(null);
      }
    });
    if (!shm) return { band: null, reason: 'the X server has no MIT-SHM extension' };
    const usable = await new Promise<boolean>((resolve) => (shm['usable'] as (cb: (e: unknown, ok: boolean) => void) => void)((_e, ok) => resolve(!!ok)));
    if (!usable) return { band: null, reason: 'MIT-SHM is present but a shared segment does not attach (remote display, or no /dev/shm)' };
    const segment = await new Promise<RawSegment | Error>((resolve) =>
      (shm['createSegment'] as (size: number, cb: (e: Error | null, seg: RawSegment) => void) => void)(bytes, (e, seg) => resolve(e ?? seg)),
    );
    if (segment instanceof Error) return { band: null, reason: `MIT-SHM segment: ${segment.message}` };
    const read = (rect: Rect): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        if (this.closedReason) return reject(new Error(`X display ${this.display} is closed`));
        if (rect.width * rect.height * this.pixelBytes > segment.size) return reject(new Error(`a ${rect.width}x${rect.height} band does not fit the ${segment.size}-byte segment`));
        const timer = setTimeout(() => done(new Error(`X display ${this.display} did not answer ShmGetImage within ${replyTimeoutMs} ms`)), replyTimeoutMs);
        const done = (err: Error | null): void => {
          if (!this.pending.delete(onClose)) return;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(segment.buffer);
        };
        const onClose = (err: Error): void => done(err);
        this.pending.add(onClose);
        // format 2 = ZPixmap, offset 0; the package copies the pixels into segment.buffer before calling back.
        segment.getImage(this.root, rect.x, rect.y, rect.width, rect.height, 0xffffffff, 2, 0, (err) => {
          done(err ? new Error(`ShmGetImage: ${err.message || String(err)}`) : null);
          return true;
        });
      });
    return { band: { bytes: segment.size, read, release: () => (this.closedReason ? undefined : segment.detach()) } };
  }

  /** Captures a rectangle of the root window: ZPixmap bytes at the root depth. */
  async rootImage(rect: Rect): Promise<Buffer> {
    const reply = await this.call<{ data: Buffer }>('GetImage', 2, this.root, rect.x, rect.y, rect.width, rect.height, 0xffffffff);
    return reply.data;
  }

  /** Disconnects the client that created `resource` (any XID of it), as xkill does. */
  killClient(resource: number): void {
    this.send('KillClient', resource);
  }

  /** Raw bytes of a property (any type, format 8), or null when it is not set. */
  async propertyBytes(wid: number, atom: number, maxBytes = 64 * 1024): Promise<Buffer | null> {
    const p = await this.call<{ type: number; data: Buffer }>('GetProperty', 0, wid, atom, 0, 0, Math.ceil(maxBytes / 4));
    return p.type === 0 ? null : Buffer.from(p.data);
  }

  /** Replaces a format-8 property of `type`. */
  setPropertyBytes(wid: number, atom: number, type: number, data: Buffer): void {
    this.send('ChangeProperty', 0, wid, atom, type, 8, data);
  }

  /** Key codes whose first keysym is each of `keysyms` (from the core keyboard mapping); missing ones are absent. */
  async keycodesFor(keysyms: readonly number[]): Promise<Map<number, number>> {
    const { min, max } = this.keycodeRange;
    const rows = await this.call<number[][]>('GetKeyboardMapping', min, max - min + 1);
    const found = new Map<number, number>();
    rows.forEach((row, i) => {
      for (const keysym of keysyms) if (!found.has(keysym) && row[0] === keysym) found.set(keysym, min + i);
    });
    return found;
  }

  // ---- extensions ------------------------------------------------------------------------

  /** The window owning a selection (e.g. _NET_WM_CM_S0, held by the compositing manager); 0 when none. */
  selectionOwner(selection: number): Promise<number> {
    return this.call<number>('GetSelectionOwner', selection);
  }

  /**
   * X-Resource: every client of the server with its process id (LocalClientPID, known for
   * clients on this machine; the server learns it from the socket, the client cannot choose it),
   * or only the client owning resource `of` (any XID of it). Null without X-Resource 1.2.
   */
  clientIds(of = 0): Promise<XClientId[] | null> {
    const res = this.extensions.res;
    if (!res || this.closedReason) return Promise.resolve(null);
    type RawId = { client: number; mask: number; value: number[] };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`X display ${this.display} did not answer QueryClientIds within ${replyTimeoutMs} ms`)), replyTimeoutMs);
      const done = (err: Error | null, ids?: RawId[]): void => {
        if (!this.pending.delete(onClose)) return;
        clearTimeout(timer);
        if (err) return reject(err);
        const byClient = new Map<number, XClientId>();
        for (const id of ids ?? []) {
          const entry = byClient.get(id.client) ?? { resourceBase: id.client, pid: null };
          if (id.mask === 2 && id.value.length > 0) entry.pid = id.value[0]!;
          byClient.set(id.client, entry);
        }
        resolve([...byClient.values()]);
      };
      const onClose = (err: Error): void => done(err);
      this.pending.add(onClose);
      try {
        // client 0 = every client; mask LocalClientPID (2) and ClientXID (1) so clients without a PID are listed too.
        (res['QueryClientIds'] as (specs: Array<{ client: number; mask: number }>, cb: XCallback<RawId[]>) => void)([{ client: of, mask: 3 }], (err, ids) => {
          done(err ?? null, ids);
          return true;
        });
      } catch (e) {
        done(e as Error);
      }
    });
  }

  /** XTEST: presses (true) or releases (false) a key, as if typed on the keyboard. */
  fakeKey(keycode: number, press: boolean): boolean {
    const xtest = this.extensions.xtest;
    if (!xtest || this.closedReason) return false;
    (xtest['FakeInput'] as (type: number, detail: number, time: number, wid: number, x: number, y: number) => void)(press ? 2 : 3, keycode, 0, 0, 0, 0);
    return true;
  }

  /**
   * XTEST GrabControl: our requests keep being served while another client holds a server grab
   * (a student's XGrabServer would otherwise freeze the lock's repairs). False without XTEST.
   */
  imperviousToServerGrabs(): boolean {
    const xtest = this.extensions.xtest;
    if (!xtest || this.closedReason) return false;
    (xtest['GrabControl'] as (impervious: boolean) => void)(true);
    return true;
  }

  private async loadExtensions(): Promise<void> {
    const load = (name: string): Promise<RawExtension | null> =>
      new Promise((resolve) => {
        try {
          this.raw.require(name, (err, ext) => resolve(err ? null : ext));
        } catch {
          resolve(null);
        }
      });
    const [randr, xinerama, shape, damage, res, xtest] = await Promise.all(
      ['randr', 'xinerama', 'shape', 'damage', 'res', 'xtest'].map(load),
    );
    this.extensions.randr = randr ?? null;
    this.extensions.xinerama = xinerama ?? null;
    this.extensions.shape = shape ?? null;
    this.extensions.damage = damage ?? null;
    // QueryClientIds came with X-Resource 1.2; an older server only tells us nothing.
    this.extensions.res = res && ((res['major'] as number) > 1 || (res['major'] === 1 && (res['minor'] as number) >= 2)) ? res : null;
    this.extensions.xtest = xtest ?? null;
    if (randr) {
      // The package parses RRScreenChangeNotify only; name RRNotify (output/CRTC changes) too.
      this.raw.eventParsers[randr.firstEvent + 1] = (type, seq, _extra, code) => ({ type, name: 'RRNotify', state: code, wid: 0, mode: seq });
    }
  }

  /** RandR ≥ 1.5: asks for screen-change events on the root. */
  selectRandrEvents(): void {
    const randr = this.extensions.randr;
    if (!randr) return;
    // ScreenChange | CrtcChange | OutputChange
    (randr['SelectInput'] as (w: number, mask: number) => void)(this.root, 1 | 2 | 4);
  }

  /** RandR 1.5 GetMonitors (the package does not wrap it); null when the server is older. */
  async randrMonitors(): Promise<RandrMonitor[] | null> {
    const randr = this.extensions.randr;
    if (!randr) return null;
    const major = randr.major_version ?? 0;
    const minor = randr.minor_version ?? 0;
    if (major < 1 || (major === 1 && minor < 5)) return null;
    const reply = await this.extensionCall<Buffer>(randr.majorOpcode, 42, this.packWindowFlag(this.root, 1), (buf) => buf);
    const count = reply.readUInt32LE(4);
    const monitors: Array<RandrMonitor & { atom: number }> = [];
    let o = 24;
    for (let i = 0; i < count && o + 24 <= reply.length; i++) {
      const outputCount = reply.readUInt16LE(o + 6);
      const outputs: number[] = [];
      for (let k = 0; k < outputCount; k++) outputs.push(reply.readUInt32LE(o + 24 + 4 * k));
      monitors.push({
        atom: reply.readUInt32LE(o),
        name: '',
        primary: reply[o + 4] === 1,
        x: reply.readInt16LE(o + 8),
        y: reply.readInt16LE(o + 10),
        width: reply.readUInt16LE(o + 12),
        height: reply.readUInt16LE(o + 14),
        outputs,
      });
      o += 24 + 4 * outputCount;
    }
    for (const m of monitors) m.name = m.atom ? await this.atomName(m.atom).catch(() => '') : '';
    return monitors.map(({ atom: _atom, ...m }) => m);
  }

  /** Xinerama QueryScreens when Xinerama is active; null otherwise. */
  async xineramaScreens(): Promise<Rect[] | null> {
    const xinerama = this.extensions.xinerama;
    if (!xinerama) return null;
    const active = await this.extensionCall<number>(xinerama.majorOpcode, 4, Buffer.alloc(0), (buf) => buf.readUInt32LE(0));
    if (!active) return null;
    return this.extensionCall<Rect[]>(xinerama.majorOpcode, 5, Buffer.alloc(0), (buf) => {
      const n = buf.readUInt32LE(0);
      const rects: Rect[] = [];
      for (let i = 0; i < n; i++) {
        const off = 24 + i * 8;
        rects.push({ x: buf.readInt16LE(off), y: buf.readInt16LE(off + 2), width: buf.readUInt16LE(off + 4), height: buf.readUInt16LE(off + 6) });
      }
      return rects;
    });
  }

  async rootSize(): Promise<{ width: number; height: number }> {
    const g = await this.windowGeometry(this.root);
    if (!g) throw new Error(`X display ${this.display}: cannot read the root window size`);
    return { width: g.width, height: g.height };
  }

  /**
   * DAMAGE: asks for one DamageNotify as soon as anything on screen is drawn (report level
   * NonEmpty), then none until `rearmScreenChanges`. Returns the damage id, or null without DAMAGE.
   */
  watchScreenChanges(): number | null {
    const damage = this.extensions.damage;
    if (!damage) return null;
    const id = this.allocId();
    (damage['Create'] as (d: number, drawable: number, level: number) => void)(id, this.root, 3);
    return id;
  }

  /** DAMAGE: forget what was drawn so far; the next drawing sends a new DamageNotify. */
  rearmScreenChanges(id: number): void {
    const damage = this.extensions.damage;
    if (!damage || this.closedReason) return;
    (damage['Subtract'] as (d: number, repair: number, parts: number) => void)(id, 0, 0);
  }

  /** SHAPE: makes `wid` let every click through (empty input region). False when SHAPE is missing. */
  clickThrough(wid: number): boolean {
    const shape = this.extensions.shape;
    if (!shape) return false;
    // Op Set (0), Kind Input (2), no rectangles = empty input region
    (shape['Rectangles'] as (op: number, kind: number, w: number, x: number, y: number, r: number[][]) => void)(0, 2, wid, 0, 0, []);
    return true;
  }

  private packWindowFlag(wid: number, flag: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(wid >>> 0, 0);
    b[4] = flag;
    return b;
  }

  /** Sends a hand-packed extension request with a reply, the way lib/ext/*.js of `x11` do. */
  private extensionCall<T>(major: number, minor: number, body: Buffer, unpack: (buf: Buffer) => T): Promise<T> {
    if (this.closedReason) return Promise.reject(new Error(`X display ${this.display} is closed`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`X display ${this.display} did not answer (extension ${major}/${minor})`)), replyTimeoutMs);
      const done = (err: Error | null, value?: T): void => {
        if (!this.pending.delete(onClose)) return;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onClose = (err: Error): void => done(err);
      this.pending.add(onClose);
      const header = Buffer.alloc(4);
      header[0] = major;
      header[1] = minor;
      header.writeUInt16LE((4 + body.length) / 4, 2);
      const raw = this.raw;
      raw.seq_num++;
      raw.replies[raw.seq_num] = [
        (buf: Buffer) => unpack(buf),
        (err: XProtocolError | null, value: T) => {
          if (err) done(err);
          else done(null, value);
          return true;
        },
      ];
      raw.pack_stream.put(Buffer.concat([header, body]));
      raw.pack_stream.submit(true);
    });
  }

  private markClosed(reason: ClosedReason): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    const err = new Error(reason === 'closed-by-us' ? `X display ${this.display} was closed` : `lost the connection to X display ${this.display}`);
    for (const reject of [...this.pending]) reject(err);
    this.pending.clear();
    for (const segment of [...this.segments]) closeSegment(segment, this.segments);
    this.emit('closed', reason);
  }
}

/** A shared-memory segment as our provider hands it to the `x11` package. */
interface ProviderSegment {
  size: number;
  fd: number | null;
  buffer: Buffer;
}

/** The provider contract of the `x11` package's MIT-SHM support (lib/shm-provider.js). */
interface SharedMemoryProvider {
  flavor: 'fd';
  zeroCopy: false;
  create(size: number): ProviderSegment;
  commit(seg: ProviderSegment, offset?: number, length?: number): void;
  sync(seg: ProviderSegment, offset?: number, length?: number): void;
  destroy(seg: ProviderSegment): void;
}

/** Where shared segments live: a tmpfs every Linux has. */
const sharedMemoryDir = '/dev/shm';

/**
 * Creates the file behind one MIT-SHM segment in `dir` and returns its open descriptor; the name
 * is gone before this returns. /dev/shm is writable by every account, and the agent runs as root:
 * a predictable name would let a student put a symlink there (root would truncate the file it
 * points to) or a file of their own (they could then forge the teacher's thumbnail). So: a random
 * name, O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never a link), mode 0600, an fstat
 * check that the file is ours and has no other name, and unlinked at once: the X server gets the
 * descriptor itself (ShmAttachFd), never the name.
 */
export function createSegmentFile(size: number, dir = sharedMemoryDir, name = `safelab-x11-${randomBytes(16).toString('hex')}`): number {
  const path = `${dir}/${name}`;
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NOCTTY, 0o600);
  try {
    unlinkSync(path);
    const stat = fstatSync(fd);
    const ownUid = process.getuid?.();
    if (!stat.isFile() || stat.nlink !== 0 || (ownUid !== undefined && stat.uid !== ownUid) || (stat.mode & 0o077) !== 0) {
      throw new Error(`the shared-memory file ${path} is not the private file we created`);
    }
    ftruncateSync(fd, size);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * MIT-SHM segments as unlinked files on /dev/shm (see createSegmentFile: nothing is left behind
 * even after a crash), read back with pread. The package's own provider works the same way but
 * closes a segment's descriptor only when the server answers its Detach, which a killed connection
 * never does: every reconnect would leak a descriptor and a band of memory. Ours tracks the
 * segments of the connection and closes them when it closes. Null provider when /dev/shm is not
 * writable.
 */
function sharedMemoryProvider(): { provider: SharedMemoryProvider | null; segments: Set<ProviderSegment> } {
  const segments = new Set<ProviderSegment>();
  try {
    accessSync(sharedMemoryDir, constants.W_OK);
  } catch {
    return { provider: null, segments };
  }
  const provider: SharedMemoryProvider = {
    flavor: 'fd',
    zeroCopy: false,
    create(size) {
      const seg = { size, fd: createSegmentFile(size), buffer: Buffer.alloc(size) };
      segments.add(seg);
      return seg;
    },
    commit(seg, offset = 0, length = seg.size - offset) {
      if (length > 0 && seg.fd !== null) writeSync(seg.fd, seg.buffer, offset, length, offset);
    },
    sync(seg, offset = 0, length = seg.size - offset) {
      if (length > 0 && seg.fd !== null) readSync(seg.fd, seg.buffer, offset, length, offset);
    },
    destroy(seg) {
      closeSegment(seg, segments);
    },
  };
  return { provider, segments };
}

function closeSegment(seg: ProviderSegment, segments: Set<ProviderSegment>): void {
  segments.delete(seg);
  if (seg.fd === null) return;
  try {
    closeSync(seg.fd);
  } catch {
    // already closed
  }
  seg.fd = null;
}

/** Atoms 1..68 are predefined by the protocol and the same on every server. */
const lastPredefinedAtom = 68;

/**
 * The `x11` package caches atoms in one object shared by every connection of the process, so
 * atoms interned on one server (or on a server that has since restarted) would answer for
 * another. Give each connection its own cache holding only the predefined atoms.
 */
function forgetOtherServersAtoms(raw: RawClient): void {
  const shared = (raw['atoms'] ?? {}) as Record<string, number>;
  const predefined = Object.entries(shared).filter(([, id]) => id <= lastPredefinedAtom);
  raw['atoms'] = Object.fromEntries(predefined);
  raw['atom_names'] = Object.fromEntries(predefined.map(([name, id]) => [id, name]));
}

/** Connecting failed; `refused`: the X server answered and turned us down (a wrong or outdated cookie). */
export class XConnectError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
    this.name = 'XConnectError';
  }
}

/** The server hangs up on (EPIPE/ECONNRESET) or answers "Failed" to a client whose cookie it does not accept. */
function isRefusal(err: Error & { code?: string }): boolean {
  return err.code === 'EPIPE' || err.code === 'ECONNRESET' || /authori[sz]ation|cookie|X server connection failed/i.test(err.message);
}

function describeConnectError(err: Error & { code?: string }): string {
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return 'no X server is listening there (is the session running?)';
  if (err.code === 'EACCES') return 'permission denied on the X socket';
  // The server hangs up on a client it refuses before reading all of its greeting.
  if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return 'the X server refused us and closed the connection; check XAUTHORITY';
  if (/authori[sz]ation|protocol/i.test(err.message)) return `the X server refused us (${err.message.trim()}); check XAUTHORITY`;
  return err.message || String(err);
}
