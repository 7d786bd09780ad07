// Test fixtures for the Linux desktop: a private Xvfb server, the X tools the tests drive
// (xdotool, xrandr, xwininfo, xkill, ImageMagick's import) and small X clients run as separate
// processes. Every wait is bounded; everything started here is stopped by `stop()`.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** How long a started X server or client may take to become ready. */
export const startTimeoutMs = 10_000;

/** A tool call (xdotool, xrandr…) that takes longer than this is stuck. */
export const toolTimeoutMs = 10_000;

export interface Xvfb {
  display: string;
  /** The server's process. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `Xvfb` on a display number it picks itself (-displayfd), with RandR, no TCP, and
 * -noreset (without it the server resets when its last client leaves, dropping RandR monitors).
 * `auth`: an Xauthority file the server checks clients against (-auth), as display managers do.
 * `display`: a display number to use (":N") instead of one the server picks. `as`: run it as that
 * account (a rootless X server, as startx and GDM run Xorg).
 */
export function startXvfb(width: number, height: number, options: { tcp?: boolean; auth?: string; display?: string; as?: { uid: number; gid: number } } = {}): Promise<Xvfb> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      'Xvfb',
      // tcp: also listen on port 6000+N, for a test of a display reached over the network (no MIT-SHM there).
      // display: that number again (an X server restarted for a new login); -displayfd still says when it is ready.
      [...(options.display ? [options.display] : []), '-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '+extension', 'RANDR', ...(options.tcp ? ['-listen', 'tcp'] : ['-nolisten', 'tcp']), ...(options.auth ? ['-auth', options.auth] : []), '-noreset'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], ...(options.as ?? {}) },
    );
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`Xvfb did not start within ${startTimeoutMs} ms: ${stderr}`));
    }, startTimeoutMs);
    // Not installed (ENOENT) or not executable: say so at once instead of waiting for the timer.
    proc.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`cannot start Xvfb: ${error.code === 'ENOENT' ? 'it is not installed (Debian: apt-get install xvfb)' : error.message}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${stderr}`));
    });
    let out = '';
    (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const display = `:${out.trim()}`;
      resolve({ display, pid: proc.pid!, stop: () => stopProcess(proc) });
    });
  });
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Runs an X tool against `display`; resolves stdout, rejects with stderr. */
export function tool(display: string, file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, DISPLAY: display }, timeout: toolTimeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr.toString()}`));
      else resolve(stdout.toString('latin1'));
    });
  });
}

/** The whole root window as RGB pixels, read by ImageMagick's `import` (independent of our capture code). */
export async function screenshot(display: string): Promise<{ data: Buffer; width: number; height: number }> {
  const png = await new Promise<Buffer>((resolve, reject) => {
    execFile('/usr/bin/import', ['-silent', '-window', 'root', 'png:-'], { env: { ...process.env, DISPLAY: display }, timeout: toolTimeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function pixel(image: { data: Buffer; width: number; channels?: number }, x: number, y: number): [number, number, number] {
  const c = image.channels ?? 3;
  const i = (y * image.width + x) * c;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

/** True when two colours are within `tolerance` on every channel (JPEG and scaling blur a little). */
export function near(actual: readonly number[], expected: number, tolerance = 24): boolean {
  const want = [(expected >> 16) & 0xff, (expected >> 8) & 0xff, expected & 0xff];
  return want.every((v, i) => Math.abs(v - actual[i]!) <= tolerance);
}

export async function decodeJpeg(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 5_000, intervalMs = 50): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A separate X client process that prints lines ("key 38", "button 1"); lines are collected. */
export interface ClientProcess {
  pid: number;
  lines: string[];
  /** Resolves with the first line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** After a key press or click, how long a recorder gets to report it before we call it blocked. */
export const deliveryWaitMs = 400;

/** Runs `action` and reports whether `client` printed a new line within `waitMs`. */
export async function delivered(client: ClientProcess, action: () => Promise<unknown>, waitMs = deliveryWaitMs): Promise<boolean> {
  const before = client.lines.length;
  await action();
  try {
    await waitFor('delivery', () => client.lines.length > before, waitMs, 20);
    return true;
  } catch {
    return false;
  }
}

/** Presses a key, or clicks at `at` (input-recorder.cjs's default window centre), and reports whether `client` got it. */
export function reaches(display: string, client: ClientProcess, action: 'key' | 'click', at = { x: 250, y: 200 }): Promise<boolean> {
  return delivered(client, () =>
    action === 'key' ? tool(display, 'xdotool', ['key', 'a']) : tool(display, 'xdotool', ['mousemove', String(at.x), String(at.y), 'click', '1']),
  );
}

/**
 * A user id no account on this machine has: the "student" whose programs the contested-lock
 * tests pause. Pausing acts on every process of the student's account, so it must not be one
 * that other tests' processes run as (nobody, for instance, runs dnsmasq).
 */
export const studentUid = 64_321;

export function startClient(display: string, fixture: string, args: string[] = [], as?: { uid: number; gid: number }): ClientProcess {
  // Another account cannot read our ~/.Xauthority (Xvfb needs none from local clients anyway).
  const env = as ? { ...process.env, DISPLAY: display, HOME: '/nonexistent', XAUTHORITY: '/nonexistent/.Xauthority' } : { ...process.env, DISPLAY: display };
  const proc = spawn(process.execPath, [fixtures + fixture, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) });
  const lines: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => lines.push(line));
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    pid: proc.pid ?? -1,
    lines,
    waitForLine: async (pattern, timeoutMs = startTimeoutMs) => {
      const found = await waitFor(
        `${fixture} to print ${pattern}`,
        () => {
          for (const line of lines) {
            const m = line.match(pattern);
            if (m) return m;
          }
          return null;
        },
        timeoutMs,
      ).catch((e: Error) => {
        throw new Error(`${e.message} (stderr: ${stderr.slice(-2000)})`);
      });
      return found;
    },
    stop: () => stopProcess(proc),
  };
}

/** Window ids whose name matches `name` exactly, via xdotool. */
export async function windowsNamed(display: string, name: string): Promise<number[]> {
  const out = await tool(display, 'xdotool', ['search', '--name', `^${name}$`]).catch(() => '');
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/** Is this window viewable (mapped, with mapped parents)? */
export async function isViewable(display: string, wid: number): Promise<boolean> {
  const out = await tool(display, 'xwininfo', ['-id', String(wid)]).catch(() => '');
  return /Map State: IsViewable/.test(out);
}

export interface WindowManager {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts openbox (Debian package `openbox`) on `display` with the distribution's configuration
 * (Alt+Tab, Alt+F4, Super+D…), not ours, and waits until it manages the screen; `as`: run it as
 * that account (the student's).
 */
export async function startWindowManager(display: string, as?: { uid: number; gid: number }): Promise<WindowManager> {
  // As another account (the student's window manager), openbox has no home to read or write.
  const env = as ? { ...process.env, DISPLAY: display, HOME: '/nonexistent', XAUTHORITY: '/nonexistent/.Xauthority' } : { ...process.env, DISPLAY: display };
  const proc = spawn('openbox', ['--sm-disable', '--config-file', '/etc/xdg/openbox/rc.xml'], { env, stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot start openbox: ${e.code === 'ENOENT' ? 'it is not installed (Debian: apt-get install openbox)' : e.message}`)));
    proc.once('exit', (code) => reject(new Error(`openbox exited (${code}): ${stderr}`)));
  });
  const managing = waitFor('openbox to manage the screen', async () => /window id #/.test(await tool(display, 'xprop', ['-root', '_NET_SUPPORTING_WM_CHECK']).catch(() => '')), startTimeoutMs, 50);
  try {
    await Promise.race([managing, failed]);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  failed.catch(() => undefined);
  return { pid: proc.pid!, stop: () => stopProcess(proc) };
}

/** The window holding the keyboard focus (xdotool getwindowfocus). */
export async function focusedWindow(display: string): Promise<number> {
  return Number((await tool(display, 'xdotool', ['getwindowfocus'])).trim());
}

/** The process's state letter from /proc ("T" stopped, "S" sleeping, "R" running…); null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** The X tools these tests drive. A machine without them must fail loudly, never skip quietly. */
export const requiredXTools = ['Xvfb', 'xdotool', 'xwininfo', 'xprop', 'xrandr', 'xkill', 'import', 'setxkbmap', 'xkbcomp', 'openbox'] as const;

/** Throws, naming the Debian packages, when an X tool the tests need is missing. */
export function requireXTools(tools: readonly string[] = requiredXTools): void {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length > 0) {
    throw new Error(
      `the X tests need ${missing.join(', ')} on PATH (Debian: apt-get install xvfb xdotool x11-utils x11-xserver-utils x11-apps x11-xkb-utils imagemagick openbox; .ci/run installs them)`,
    );
  }
}

function onPath(name: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // next folder
    }
  }
  return false;
}
