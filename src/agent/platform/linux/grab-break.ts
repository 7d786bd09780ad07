// Breaking a keyboard or pointer grab that another X client holds — on the root window, say,
// where unmapping windows cannot end it. The X server can do it itself: XKB's grab-break
// actions (option grab:break_actions) make Ctrl+Alt+KP_Divide end every grab (XF86Ungrab) and
// Ctrl+Alt+KP_Multiply disconnect the client holding one (XF86ClearGrab). They are off by default
// because they also break screen lockers, so we switch them on only for the moment we press the
// keys ourselves (XTEST), then put the student's keymap back as it was before the lock grabs
// again.
//
// Left on, those keys would let the student break the lock at will, so putting the keymap back
// must not depend on luck:
//  - the clean keymap (xkbcomp dump, plus the _XKB_RULES_NAMES property setxkbmap rewrites) is
//    taken once per X server, while the keys are off, and kept in the agent's own directory with
//    a note saying whether SafeLab has the keys on; the root window carries a token naming that
//    snapshot, so a new X server (a new login) is never given an old server's keymap;
//  - every operation (break, restore) runs one at a time: two breaks interleaving could take the
//    second "clean" snapshot while the first had the keys on;
//  - a restore that fails (a tool timing out under load, the connection killed before the rules
//    were put back) is retried, on every reconnect, and when the agent starts again (the note).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeNoteAtomically } from './private-files.js';
import type { XConnection } from './x-connection.js';

/** setxkbmap and xkbcomp answer in tens of milliseconds; longer means something is wrong. */
export const xkbToolTimeoutMs = 3_000;

/** Putting the keymap back matters more than speed: it gets longer before it counts as failed. */
export const keymapRestoreTimeoutMs = 10_000;

/** A failed restore is tried again after this, doubling up to keymapRestoreRetryMaxMs, at most keymapRestoreRetries times (reconnects retry too). */
export const keymapRestoreRetryFirstMs = 500;
export const keymapRestoreRetryMaxMs = 30_000;
export const keymapRestoreRetries = 20;

/** Keysyms we press (X11 keysymdef.h). */
const keysyms = { controlL: 0xffe3, altL: 0xffe9, kpDivide: 0xffaf, kpMultiply: 0xffaa } as const;

/** The STRING type (a predefined atom). */
const stringAtom = 31;

/** Root window property naming the clean-keymap snapshot taken on this X server. */
const snapshotTokenProperty = '_SAFELAB_KEYMAP_SNAPSHOT';

/** 'ungrab' ends every grab (XF86Ungrab); 'disconnect-grabber' also cuts the grabbing client's connection (XF86ClearGrab). */
export type GrabBreakAction = 'ungrab' | 'disconnect-grabber';

/** Runs an X tool; rejects with a readable message (a test replaces it to make a restore fail). */
export type XkbToolRunner = (file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) => Promise<void>;

/** The clean keymap of one X server. */
interface KeymapSnapshot {
  token: string;
  /** _XKB_RULES_NAMES as it was (null: not set). */
  rules: Buffer | null;
  /** The keys were on before we ever touched them (the PC is set up so): never switched, never restored. */
  alreadyOn: boolean;
}

/** What the note in the agent's directory says (JSON). */
interface KeymapNote {
  token: string;
  rules: string | null;
  on: boolean;
}

export interface XkbGrabBreakerOptions {
  display: string;
  /** Environment for the tools (DISPLAY, and XAUTHORITY: a file the student cannot take away). */
  env: () => NodeJS.ProcessEnv;
  /** The agent's own directory (0700): the snapshot and its note live there. */
  stateDir: string;
  /** The X connection in use now (null while reconnecting), for retries. */
  connection: () => XConnection | null;
  log: (line: string) => void;
  runTool?: XkbToolRunner;
}

export class XkbGrabBreaker {
  /** null: not tried yet; false: the tools or extensions are missing (logged once). */
  private usable: boolean | null = null;
  private snapshot: KeymapSnapshot | null = null;
  /** SafeLab switched the keys on and has not put the keymap back since. */
  private keysOn = false;
  private queue: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private retries = 0;
  private disposed = false;
  private readonly keymapFile: string;
  private readonly noteFile: string;
  private readonly runTool: XkbToolRunner;

  constructor(private readonly options: XkbGrabBreakerOptions) {
    const name = options.display.replace(/[^0-9A-Za-z.]/g, '_');
    this.keymapFile = join(options.stateDir, `keymap-${name}.xkb`);
    this.noteFile = join(options.stateDir, `keymap-${name}.json`);
    this.runTool = options.runTool ?? runXkbTool;
  }

  /** True while SafeLab has the grab-break keys on (a restore is still owed). */
  get restoreOwed(): boolean {
    return this.keysOn;
  }

  /**
   * Presses the grab-break keys with the actions switched on for that moment. Resolves true when
   * the keys were pressed (the caller grabs again to learn whether it worked), false when this PC
   * cannot do it.
   */
  breakGrabs(conn: XConnection, action: GrabBreakAction): Promise<boolean> {
    return this.serial(() => this.breakNow(conn, action));
  }

  /**
   * A new connection (agent start, reconnect): if SafeLab left the keys on — a restore that
   * failed, or a previous run that died with them on — put the clean keymap back now.
   */
  restoreIfLeftOn(conn: XConnection): Promise<void> {
    return this.serial(async () => {
      if (conn.closed) return;
      if (!this.snapshot) await this.adoptNote(conn);
      if (this.keysOn) await this.restore(conn);
    });
  }

  /** Stops retrying (the desktop closes). */
  dispose(): void {
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async breakNow(conn: XConnection, action: GrabBreakAction): Promise<boolean> {
    if (this.usable === false || conn.closed) return false;
    if (!conn.extensions.xtest) return this.unusable('the X server has no XTEST extension');
    const snapshot = await this.cleanSnapshot(conn);
    if (!snapshot) return false;
    try {
      if (!snapshot.alreadyOn) {
        // Noted before the keys go on: a crash while they are on leaves the way back.
        await writeNoteAtomically(this.noteFile, JSON.stringify(noteOf(snapshot, true)));
        this.keysOn = true;
        try {
          await this.tool('setxkbmap', ['-option', 'grab:break_actions'], xkbToolTimeoutMs);
        } catch (e) {
          return this.unusable((e as Error).message);
        }
      }
      this.usable = true;
      const key = action === 'ungrab' ? keysyms.kpDivide : keysyms.kpMultiply;
      const codes = await conn.keycodesFor([keysyms.controlL, keysyms.altL, key]);
      const chord = [codes.get(keysyms.controlL), codes.get(keysyms.altL), codes.get(key)];
      if (chord.some((c) => c === undefined)) {
        this.options.log('lock.grab-break-failed reason="the keyboard map has no Control_L, Alt_L or keypad key"');
        return false;
      }
      for (const code of chord) conn.fakeKey(code!, true);
      for (const code of [...chord].reverse()) conn.fakeKey(code!, false);
      await conn.sync();
      return true;
    } catch (e) {
      this.options.log(`lock.grab-break-failed error=${JSON.stringify((e as Error).message)}`);
      return false;
    } finally {
      if (this.keysOn) await this.restore(conn);
    }
  }

  /** The clean keymap of this X server, taken now if this server has none yet; null when it cannot be taken. */
  private async cleanSnapshot(conn: XConnection): Promise<KeymapSnapshot | null> {
    const tokenAtom = await conn.internAtom(snapshotTokenProperty);
    const onServer = (await conn.propertyBytes(conn.root, tokenAtom, 256))?.toString('latin1') ?? null;
    if (this.snapshot && this.snapshot.token === onServer) return this.snapshot;
    if (this.keysOn) {
      // Ours are still on (a restore is owed): this is no moment to take a clean snapshot.
      await this.restore(conn);
      if (this.keysOn) return null;
    }
    const rulesAtom = await conn.internAtom('_XKB_RULES_NAMES');
    const rules = await conn.propertyBytes(conn.root, rulesAtom);
    const token = randomBytes(16).toString('hex');
    const alreadyOn = rules?.toString('latin1').includes('grab:break_actions') ?? false;
    if (alreadyOn) {
      this.options.log('lock.grab-break-keys-already-on reason="this PC lets anyone break grabs with Ctrl+Alt+KP_Divide (XKB option grab:break_actions); remove it"');
    } else {
      try {
        await ensurePrivateDir(this.options.stateDir);
        await this.tool('xkbcomp', ['-w', '0', '-xkb', this.options.display, this.keymapFile], xkbToolTimeoutMs);
        await writeNoteAtomically(this.noteFile, JSON.stringify({ token, rules: rules?.toString('base64') ?? null, on: false } satisfies KeymapNote));
      } catch (e) {
        this.unusable((e as Error).message);
        return null;
      }
    }
    conn.setPropertyBytes(conn.root, tokenAtom, stringAtom, Buffer.from(token, 'latin1'));
    await conn.sync();
    this.snapshot = { token, rules, alreadyOn };
    return this.snapshot;
  }

  /** After a restart: the note of a previous run, if it belongs to this X server (same token on the root window). */
  private async adoptNote(conn: XConnection): Promise<void> {
    let note: KeymapNote;
    try {
      note = JSON.parse(readFileSync(this.noteFile, 'utf8')) as KeymapNote;
    } catch {
      return;
    }
    const tokenAtom = await conn.internAtom(snapshotTokenProperty);
    const onServer = (await conn.propertyBytes(conn.root, tokenAtom, 256))?.toString('latin1') ?? null;
    if (typeof note.token !== 'string' || note.token !== onServer) {
      // Another X server's snapshot (the student logged out and in): of no use here.
      rmSync(this.noteFile, { force: true });
      rmSync(this.keymapFile, { force: true });
      return;
    }
    this.snapshot = { token: note.token, rules: typeof note.rules === 'string' ? Buffer.from(note.rules, 'base64') : null, alreadyOn: false };
    if (note.on === true) {
      this.keysOn = true;
      this.options.log('lock.keymap-left-on reason="a previous run of the agent switched the grab-break keys on and did not switch them off"');
    }
  }

  /** Puts the clean keymap and its rules names back; on failure, tries again later. */
  private async restore(conn: XConnection): Promise<void> {
    const snapshot = this.snapshot;
    if (!snapshot || snapshot.alreadyOn) {
      this.keysOn = false;
      return;
    }
    try {
      await this.tool('xkbcomp', ['-w', '0', this.keymapFile, this.options.display], keymapRestoreTimeoutMs);
      if (conn.closed) throw new Error('the X connection closed before the keymap rules were put back');
      const rulesAtom = await conn.internAtom('_XKB_RULES_NAMES');
      if (snapshot.rules) conn.setPropertyBytes(conn.root, rulesAtom, stringAtom, snapshot.rules);
      await conn.sync();
      await writeNoteAtomically(this.noteFile, JSON.stringify(noteOf(snapshot, false)));
      this.keysOn = false;
      if (this.retries > 0) this.options.log(`lock.keymap-restored after_retries=${this.retries}`);
      this.retries = 0;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
    } catch (e) {
      this.options.log(`lock.keymap-restore-failed error=${JSON.stringify((e as Error).message)} (the grab-break keys are still on; trying again)`);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.disposed || this.retryTimer || this.retries >= keymapRestoreRetries) return;
    const delay = Math.min(keymapRestoreRetryMaxMs, keymapRestoreRetryFirstMs * 2 ** this.retries);
    this.retries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const conn = this.options.connection();
      // No connection now: the reconnect restores (restoreIfLeftOn).
      if (conn && !conn.closed) void this.restoreIfLeftOn(conn).catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  private unusable(reason: string): false {
    if (this.usable !== false) this.options.log(`lock.grab-break-unavailable reason=${JSON.stringify(reason)}`);
    this.usable = false;
    return false;
  }

  private tool(file: string, args: string[], timeoutMs: number): Promise<void> {
    return this.runTool(file, args, { ...this.options.env(), DISPLAY: this.options.display }, timeoutMs);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function noteOf(snapshot: KeymapSnapshot, on: boolean): KeymapNote {
  return { token: snapshot.token, rules: snapshot.rules?.toString('base64') ?? null, on };
}

/** The real tools (Debian package x11-xkb-utils). */
function runXkbTool(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (Debian: x11-xkb-utils)' : `${err.message.trim()} ${String(stderr).trim()}`}`));
      else resolve();
    });
  });
}
