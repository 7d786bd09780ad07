// Breaking a keyboard or pointer grab that another X client holds — on the root window, say,
// where unmapping windows cannot end it. The X server can do it itself: XKB's grab-break
// actions (option grab:break_actions) make Ctrl+Alt+KP_Divide end every grab (XF86Ungrab) and
// Ctrl+Alt+KP_Multiply disconnect the client holding one (XF86ClearGrab). They are off by default
// because they also break screen lockers, so we switch them on only for the moment we press the
// keys ourselves (XTEST), then put the student's keymap back exactly as it was (xkbcomp dump and
// reload, plus the _XKB_RULES_NAMES property setxkbmap rewrites) before the lock grabs again: a
// student never gets a moment in which those keys could break *our* grab.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { XConnection } from './x-connection.js';

/** setxkbmap and xkbcomp answer in tens of milliseconds; longer means something is wrong. */
export const xkbToolTimeoutMs = 3_000;

/** Keysyms we press (X11 keysymdef.h). */
const keysyms = { controlL: 0xffe3, altL: 0xffe9, kpDivide: 0xffaf, kpMultiply: 0xffaa } as const;

/** The STRING type (a predefined atom). */
const stringAtom = 31;

/** 'ungrab' ends every grab (XF86Ungrab); 'disconnect-grabber' also cuts the grabbing client's connection (XF86ClearGrab). */
export type GrabBreakAction = 'ungrab' | 'disconnect-grabber';

export class XkbGrabBreaker {
  /** null: not tried yet; false: the tools or extensions are missing (logged once). */
  private usable: boolean | null = null;

  constructor(
    private readonly display: string,
    /** Environment for the tools (DISPLAY, XAUTHORITY of the session). */
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Presses the grab-break keys with the actions switched on for that moment. Resolves true when
   * the keys were pressed (the caller grabs again to learn whether it worked), false when this PC
   * cannot do it.
   */
  async breakGrabs(conn: XConnection, action: GrabBreakAction): Promise<boolean> {
    if (this.usable === false) return false;
    if (!conn.extensions.xtest) return this.unusable('the X server has no XTEST extension');
    const dir = mkdtempSync(join(tmpdir(), 'safelab-keymap-'));
    const saved = join(dir, 'keymap.xkb');
    const rulesAtom = await conn.internAtom('_XKB_RULES_NAMES');
    const rulesBefore = await conn.propertyBytes(conn.root, rulesAtom);
    try {
      if (rulesBefore?.toString('latin1').includes('grab:break_actions')) {
        this.log('lock.grab-break-keys-already-on reason="this PC lets anyone break grabs with Ctrl+Alt+KP_Divide (XKB option grab:break_actions); remove it"');
      }
      try {
        await this.run('xkbcomp', ['-w', '0', '-xkb', this.display, saved]);
        await this.run('setxkbmap', ['-option', 'grab:break_actions']);
      } catch (e) {
        return this.unusable((e as Error).message);
      }
      this.usable = true;
      const codes = await conn.keycodesFor([keysyms.controlL, keysyms.altL, action === 'ungrab' ? keysyms.kpDivide : keysyms.kpMultiply]);
      const chord = [codes.get(keysyms.controlL), codes.get(keysyms.altL), codes.get(action === 'ungrab' ? keysyms.kpDivide : keysyms.kpMultiply)];
      if (chord.some((c) => c === undefined)) {
        this.log('lock.grab-break-failed reason="the keyboard map has no Control_L, Alt_L or keypad key"');
        return false;
      }
      for (const code of chord) conn.fakeKey(code!, true);
      for (const code of [...chord].reverse()) conn.fakeKey(code!, false);
      await conn.sync();
      return true;
    } finally {
      await this.restore(conn, saved, rulesAtom, rulesBefore);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Puts the keymap and its rules names back (nothing to do when the dump never happened). */
  private async restore(conn: XConnection, saved: string, rulesAtom: number, rulesBefore: Buffer | null): Promise<void> {
    if (this.usable !== true) return;
    try {
      await this.run('xkbcomp', ['-w', '0', saved, this.display]);
    } catch (e) {
      this.log(`lock.keymap-restore-failed error=${JSON.stringify((e as Error).message)}`);
    }
    if (rulesBefore) conn.setPropertyBytes(conn.root, rulesAtom, stringAtom, rulesBefore);
    await conn.sync().catch(() => undefined);
  }

  private unusable(reason: string): false {
    if (this.usable !== false) this.log(`lock.grab-break-unavailable reason=${JSON.stringify(reason)}`);
    this.usable = false;
    return false;
  }

  private run(file: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(file, args, { env: { ...this.env, DISPLAY: this.display }, timeout: xkbToolTimeoutMs }, (err, _stdout, stderr) => {
        if (err) reject(new Error(`${file} failed: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed (Debian: x11-xkb-utils)' : `${err.message.trim()} ${String(stderr).trim()}`}`));
        else resolve();
      });
    });
  }
}
