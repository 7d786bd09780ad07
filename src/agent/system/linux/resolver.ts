// Linux: points the system resolver at the agent's DNS filter and puts the original back exactly.
//
// Two ways, chosen by what the PC runs:
// - plain /etc/resolv.conf (file or symlink managed by resolvconf/dhclient/NetworkManager): the
//   original is saved byte for byte (or the symlink's target text) and replaced with a file that
//   names only the filter;
// - systemd-resolved (resolv.conf links into /run/systemd/resolve and the service is active):
//   programs may bypass resolv.conf through nss-resolve, so resolved itself is told to forward
//   everything to the filter with a drop-in (`DNS=127.0.0.1`, `Domains=~.` routes every name to
//   it; see below for what that does not cover). Resolved's stub keeps listening on 127.0.0.53/54 and the filter on
//   127.0.0.1/::1, so the two never fight over port 53 (DNSStubListener stays as it was).
//
// The saved original lives in `<dataDir>/resolver-state.json`, written durably BEFORE anything is
// changed, so a crash at any point can be undone on the next start.
//
// What the systemd-resolved way does and does not guarantee (systemd-resolved.service(8), "Protocols
// and routing"; systemd docs/RESOLVED-VPNS.md; GNOME wiki "NetworkManager DNS handling"): resolved
// sends a query to the servers of the *best-matching* routing domain, the one with the most labels,
// and when several links (or a link and the global settings) tie, to all of them in parallel, taking
// the first positive answer. Our global `~.` matches every name with zero labels, so:
// - guaranteed: links without routing domains (DefaultRoute=yes only, e.g. systemd-networkd DHCP)
//   get no queries while the drop-in is in force: every name matches our `~.` first;
// - NOT guaranteed: NetworkManager with dns=systemd-resolved gives the connection holding the default
//   route its own `~.` automatically (so do "privacy" VPN clients). That ties with ours: resolved
//   asks the filter and the DHCP server in parallel and keeps the first positive answer. A 0.0.0.0
//   block answer usually arrives first from loopback but is not certain to; an NXDOMAIN block always
//   loses to the other server's address. On such PCs the drop-in alone does not enforce filtering;
// - NOT guaranteed: names under a link's own search or routing domain (e.g. `school.lan`, or
//   `~corp.example` from a VPN) match with more labels and go to that link only, unfiltered;
// - programs that send DNS straight to an address bypass every resolver setting.
// The DNS firewall (./firewall.ts) closes all three: it redirects every program's DNS to any
// server, resolved's own included, to the filter. Without it, the README's "Web filtering" section
// tells IT staff how to set such PCs up (NetworkManager's global DNS, or plain resolv.conf mode).
//
// In systemd-resolved mode the drop-in only counts while /etc/resolv.conf still sends programs to
// resolved's stub (127.0.0.53): a resolv.conf re-pointed elsewhere later (a plain file naming the
// router, a link to resolved's own upstream list) lets every program that reads it go round
// resolved. So that mode watches resolv.conf as well as the drop-in, and `bypass` says when it
// happened; the guard reports it (re-writing the drop-in could not fix it).

import { promises as fs, watch as watchFolder, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { removeFileDurably, replaceWithSymlink, writeFileAtomic } from '../atomic-file.js';
import {
  SystemControlError,
  type ResolverAddress,
  type ResolverMethod,
  type ResolverRestoreOutcome,
  type ResolverTakeover,
  type ResolverTarget,
} from '../system-control.js';

/** Largest resolv.conf / drop-in we read (they are a few hundred bytes; anything huge is wrong). */
export const maxResolverFileBytes = 64 * 1024;
/** How long a systemctl/resolvectl call may take. */
export const resolverCommandTimeoutMs = 15_000;
/** Name of the saved-original file in the agent data dir. */
export const resolverStateFileName = 'resolver-state.json';
/** First line of every file we write; restore only replaces files that still carry it. */
export const ourMarker = '# Written by the SafeLab agent';
/** systemd-resolved's stub listeners (DNSStubListener, and the "no search domains" one since v247). */
export const resolvedStubAddresses: readonly string[] = ['127.0.0.53', '127.0.0.54'];

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>;

export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: resolverCommandTimeoutMs, maxBuffer: 256 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

export interface LinuxResolverOptions {
  /** Agent data dir: the saved original goes here. */
  dataDir: string;
  /** Injectable for tests; never the real file in tests. */
  resolvConfPath?: string;
  /** systemd-resolved drop-in folder. */
  resolvedDropInDir?: string;
  /** resolved's list of real upstream servers (the non-stub resolv.conf it maintains). */
  resolvedUpstreamFile?: string;
  /** Runs systemctl/resolvectl (injectable for tests). */
  run?: CommandRunner;
  /** Whether systemd-resolved manages DNS here; default: resolv.conf links into it and it is active. */
  detectResolved?: () => Promise<boolean>;
}

/** A file as it was: bytes, symlink text, or absent. */
type SavedFile =
  | { kind: 'file'; contentBase64: string; mode: number; uid: number; gid: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'missing' };

/** Watches the resolver setting for changes made by others; see LinuxResolver.watch. */
export interface ResolverFileWatch {
  /** False once the watch broke (folder removed, inotify limit): the caller re-watches later. */
  readonly alive: boolean;
  close(): void;
}

interface SavedState {
  version: 1;
  method: ResolverMethod;
  savedAt: string;
  /** The path that was changed (resolv.conf or the resolved drop-in). */
  path: string;
  original: SavedFile;
  upstreams: ResolverAddress[];
}

const dropInName = 'zz-safelab-agent.conf';

async function captureFile(file: string): Promise<SavedFile> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new SystemControlError('resolver-unreadable', `cannot read ${file}`, { cause: err });
  }
  if (st.isSymbolicLink()) return { kind: 'symlink', target: await fs.readlink(file) };
  if (st.size > maxResolverFileBytes) throw new SystemControlError('resolver-unreadable', `${file} is larger than ${maxResolverFileBytes} bytes`);
  const content = await fs.readFile(file);
  return { kind: 'file', contentBase64: content.toString('base64'), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

async function putBack(file: string, saved: SavedFile): Promise<void> {
  if (saved.kind === 'missing') {
    await removeFileDurably(file);
    return;
  }
  if (saved.kind === 'symlink') {
    await replaceWithSymlink(file, saved.target);
    return;
  }
  await writeInPlaceOrAtomic(file, Buffer.from(saved.contentBase64, 'base64'), saved.mode, saved.uid, saved.gid);
}

/**
 * Atomic replace; when the path is a mount point (containers bind-mount /etc/resolv.conf, where
 * rename gives EBUSY), rewrite it in place instead.
 */
async function writeInPlaceOrAtomic(file: string, data: Uint8Array, mode: number, uid?: number, gid?: number): Promise<void> {
  try {
    await writeFileAtomic(file, data, { mode, uid, gid });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw new SystemControlError('resolver-write-failed', `cannot write ${file}`, { cause: err });
    const handle = await fs.open(file, 'r+');
    try {
      await handle.truncate(0);
      await handle.write(data, 0, data.length, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** `nameserver` lines of a resolv.conf text, as port-53 servers. */
export function parseNameservers(text: string): ResolverAddress[] {
  const out: ResolverAddress[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1]!;
    if (net.isIP(host.replace(/%.*$/, '')) === 0) continue;
    out.push({ host, port: 53 });
  }
  return out;
}

function isTargetAddress(host: string, target: ResolverTarget): boolean {
  const bare = host.replace(/%.*$/, '').toLowerCase();
  return target.addresses.some((a) => {
    if (a === bare) return true;
    if (net.isIPv6(a) && net.isIPv6(bare)) {
      return new net.SocketAddress({ address: a, family: 'ipv6' }).address === new net.SocketAddress({ address: bare, family: 'ipv6' }).address;
    }
    return false;
  });
}

/** Our resolv.conf: the filter only, keeping the original's search domains (school LAN names). */
export function filterResolvConf(target: ResolverTarget, original: string): string {
  const keep = original
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(search|domain)\s/.test(l));
  const lines = [
    `${ourMarker}: DNS on this PC goes through the school's web filter.`,
    '# The previous file is saved by the agent and put back when filtering stops.',
    ...target.addresses.map((a) => `nameserver ${a}`),
    ...keep,
    'options edns0 trust-ad',
    '',
  ];
  return lines.join('\n');
}

/** Our systemd-resolved drop-in. */
export function filterResolvedDropIn(target: ResolverTarget): string {
  return [
    `${ourMarker}: systemd-resolved forwards every name to the school's web filter.`,
    '[Resolve]',
    `DNS=${target.addresses.join(' ')}`,
    // "~." routes every name to the global servers above; a link with its own "~." ties (see the top).
    'Domains=~.',
    // The filter speaks plain DNS on loopback; a global DoT setting would make resolved fail.
    'DNSOverTLS=no',
    '',
  ].join('\n');
}

/**
 * Watches one file through its folder: resolvconf, dhclient and NetworkManager replace files by
 * rename, which a watch on the file itself would silently lose.
 */
function watchFile(file: string, changed: () => void): ResolverFileWatch {
  const name = path.basename(file);
  let alive = true;
  let watcher: FSWatcher;
  try {
    watcher = watchFolder(path.dirname(file), { persistent: false }, (_event, filename) => {
      // No name (some file systems): anything may have changed.
      if (filename === null || filename === name) changed();
    });
  } catch {
    return { alive: false, close: () => undefined };
  }
  watcher.on('error', () => {
    alive = false;
    watcher.close();
    changed();
  });
  return {
    get alive() {
      return alive;
    },
    close() {
      alive = false;
      watcher.close();
    },
  };
}

export class LinuxResolver {
  readonly resolvConfPath: string;
  readonly dropInPath: string;
  readonly statePath: string;
  private readonly resolvedUpstreamFile: string;
  private readonly run: CommandRunner;
  private readonly detectResolved: () => Promise<boolean>;
  /** How the resolver was last pointed by this object (what `watch` watches). */
  private method: ResolverMethod | null = null;

  constructor(options: LinuxResolverOptions) {
    this.resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
    this.dropInPath = path.join(options.resolvedDropInDir ?? '/etc/systemd/resolved.conf.d', dropInName);
    this.resolvedUpstreamFile = options.resolvedUpstreamFile ?? '/run/systemd/resolve/resolv.conf';
    this.statePath = path.join(options.dataDir, resolverStateFileName);
    this.run = options.run ?? runCommand;
    this.detectResolved = options.detectResolved ?? (() => this.resolvedManagesDns());
  }

  /**
   * Points the resolver at the filter, saving the original first. With `adoptCurrent` (the setting
   * was found changed behind the filter: DHCP, NetworkManager, a person), a setting that is no longer
   * ours becomes the new saved original, so stopping the filter later puts back what the system
   * wants now rather than a stale copy, and its servers become the filter's upstreams.
   */
  async pointAtFilter(target: ResolverTarget, options: { adoptCurrent?: boolean } = {}): Promise<ResolverTakeover> {
    let state = await this.readState();
    const keptEarlierSave = state !== null;
    if (state && options.adoptCurrent && !(await this.stillOurs(state.path))) state = await this.saveOriginal(target, state.method);
    state ??= await this.saveOriginal(target, (await this.detectResolved()) ? 'systemd-resolved' : 'resolv.conf');
    if (state.method === 'resolv.conf') {
      const originalText = state.original.kind === 'file' ? Buffer.from(state.original.contentBase64, 'base64').toString('utf8') : await this.readTextOr(this.resolvConfPath, '');
      await writeInPlaceOrAtomic(state.path, Buffer.from(filterResolvConf(target, originalText)), 0o644);
    } else {
      await fs.mkdir(path.dirname(state.path), { recursive: true, mode: 0o755 });
      await writeFileAtomic(state.path, filterResolvedDropIn(target), { mode: 0o644 });
      await this.reloadResolved();
    }
    this.method = state.method;
    return { method: state.method, previousUpstreams: state.upstreams.filter((u) => !isTargetAddress(u.host, target)), keptEarlierSave };
  }

  /** Captures the current setting as the original and saves it durably BEFORE anything changes. */
  private async saveOriginal(target: ResolverTarget, method: ResolverMethod): Promise<SavedState> {
    const file = method === 'resolv.conf' ? this.resolvConfPath : this.dropInPath;
    const original = await captureFile(file);
    const upstreams = (await this.currentUpstreams(method)).filter((u) => !isTargetAddress(u.host, target));
    const state: SavedState = { version: 1, method, savedAt: new Date().toISOString(), path: file, original, upstreams };
    // Durable BEFORE the change: a crash from here on can always be undone.
    await fs.mkdir(path.dirname(this.statePath), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.statePath, JSON.stringify(state, null, 2), { mode: 0o600 });
    return state;
  }

  /**
   * Calls `changed` when the file that carries the setting may have changed. The folder is
   * watched, not the file: resolvconf, dhclient and NetworkManager replace resolv.conf by rename,
   * which a watch on the file itself would silently lose. Raw events, including our own writes:
   * the caller debounces and checks what the file says.
   */
  watch(changed: () => void): ResolverFileWatch {
    // In systemd-resolved mode resolv.conf matters too (see the top of this file).
    const files = (this.method ?? 'resolv.conf') === 'resolv.conf' ? [this.resolvConfPath] : [this.dropInPath, this.resolvConfPath];
    const watches = files.map((file) => watchFile(file, changed));
    return {
      get alive() {
        return watches.every((w) => w.alive);
      },
      close() {
        for (const w of watches) w.close();
      },
    };
  }

  /** See SystemControl.resolverBypass: only systemd-resolved mode can be bypassed this way. */
  async bypass(target: ResolverTarget): Promise<string | null> {
    const state = await this.readState();
    if ((state?.method ?? this.method) !== 'systemd-resolved') return null;
    // Read through the link, as programs do. No file, or no nameserver line: glibc asks 127.0.0.1,
    // the filter itself.
    const servers = parseNameservers(await this.readTextOr(this.resolvConfPath, ''));
    const elsewhere = servers.filter((s) => !resolvedStubAddresses.includes(s.host) && !isTargetAddress(s.host, target));
    if (elsewhere.length === 0) return null;
    return `${this.resolvConfPath} names ${elsewhere.map((s) => s.host).join(', ')} instead of systemd-resolved's stub (127.0.0.53): programs that read it go round the filter`;
  }

  async restore(): Promise<ResolverRestoreOutcome> {
    const state = await this.readState();
    if (!state) return 'nothing-saved';
    let outcome: ResolverRestoreOutcome = 'left-alone';
    if (await this.stillOurs(state.path)) {
      await putBack(state.path, state.original);
      if (state.method === 'systemd-resolved') await this.reloadResolved();
      outcome = 'restored';
    }
    // Forget the original only once it is back (a crash before this line restores again).
    await removeFileDurably(this.statePath);
    return outcome;
  }

  async upstreams(target: ResolverTarget): Promise<ResolverAddress[]> {
    const state = await this.readState();
    const list = state ? state.upstreams : await this.currentUpstreams((await this.detectResolved()) ? 'systemd-resolved' : 'resolv.conf');
    return list.filter((u) => !isTargetAddress(u.host, target));
  }

  async pointsAtFilter(target: ResolverTarget): Promise<boolean> {
    const state = await this.readState();
    const method = state?.method ?? ((await this.detectResolved()) ? 'systemd-resolved' : 'resolv.conf');
    const file = method === 'resolv.conf' ? this.resolvConfPath : this.dropInPath;
    if (!(await this.stillOurs(file))) return false;
    const text = await this.readTextOr(file, '');
    if (method === 'systemd-resolved') return text.includes(`DNS=${target.addresses.join(' ')}`);
    const servers = parseNameservers(text);
    return servers.length > 0 && servers.every((s) => isTargetAddress(s.host, target));
  }

  /** The saved original, or null. A corrupt state file is an error: guessing could lose the original. */
  async readState(): Promise<SavedState | null> {
    let text: string;
    try {
      text = await fs.readFile(this.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new SystemControlError('saved-state-corrupt', `cannot read ${this.statePath}`, { cause: err });
    }
    try {
      const s = JSON.parse(text) as SavedState;
      const okFile =
        s.original &&
        ((s.original.kind === 'file' && typeof s.original.contentBase64 === 'string' && typeof s.original.mode === 'number') ||
          (s.original.kind === 'symlink' && typeof s.original.target === 'string') ||
          s.original.kind === 'missing');
      if (s.version !== 1 || (s.method !== 'resolv.conf' && s.method !== 'systemd-resolved') || typeof s.path !== 'string' || !okFile || !Array.isArray(s.upstreams)) {
        throw new Error('unexpected shape');
      }
      return s;
    } catch (err) {
      throw new SystemControlError('saved-state-corrupt', `${this.statePath} is not a saved resolver setting`, { cause: err });
    }
  }

  private async stillOurs(file: string): Promise<boolean> {
    try {
      const st = await fs.lstat(file);
      if (!st.isFile()) return false;
      const handle = await fs.open(file, 'r');
      try {
        const head = Buffer.alloc(ourMarker.length);
        await handle.read(head, 0, head.length, 0);
        return head.toString('utf8') === ourMarker;
      } finally {
        await handle.close();
      }
    } catch {
      return false;
    }
  }

  private async readTextOr(file: string, fallback: string): Promise<string> {
    try {
      const st = await fs.stat(file);
      if (st.size > maxResolverFileBytes) return fallback;
      return await fs.readFile(file, 'utf8');
    } catch {
      return fallback;
    }
  }

  private async currentUpstreams(method: ResolverMethod): Promise<ResolverAddress[]> {
    const file = method === 'systemd-resolved' ? this.resolvedUpstreamFile : this.resolvConfPath;
    return parseNameservers(await this.readTextOr(file, ''));
  }

  private async resolvedManagesDns(): Promise<boolean> {
    try {
      const link = await fs.readlink(this.resolvConfPath);
      if (!link.includes('systemd/resolve')) return false;
    } catch {
      return false;
    }
    const r = await this.run('systemctl', ['is-active', '--quiet', 'systemd-resolved']);
    return r.code === 0;
  }

  private async reloadResolved(): Promise<void> {
    const r = await this.run('systemctl', ['try-reload-or-restart', 'systemd-resolved']);
    if (r.code !== 0) throw new SystemControlError('command-failed', `systemctl try-reload-or-restart systemd-resolved failed: ${r.stderr.trim()}`);
    // Old answers cached by resolved would outlive the change; failure here is harmless.
    await this.run('resolvectl', ['flush-caches']);
  }
}
