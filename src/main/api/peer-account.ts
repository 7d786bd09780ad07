// Who is on the other end of a loopback API connection, asked of the kernel rather than the caller:
// on Linux the client's socket appears in /proc/net/tcp (or tcp6) with the uid that owns it, and
// /etc/passwd names that uid. The console and its callers (the IT command line, a browser) run on
// the same PC, so the connection's two ends are both in this machine's socket table. Whatever a
// caller writes in its headers plays no part: this is what the audit log records as "who".

import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';

/** Socket tables the kernel keeps for TCP over IPv4 and IPv6. */
export const procNetTcpFiles = ['/proc/net/tcp', '/proc/net/tcp6'] as const;
export const passwdFile = '/etc/passwd';
/** `st` of a connected socket in /proc/net/tcp (TCP_ESTABLISHED). */
const establishedState = 1;

/** One row of /proc/net/tcp{,6}: the socket's own end, the far end, its state and owner. */
export interface TcpSocketRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: number;
  uid: number;
  inode: number;
}

/** The two ends of a connection as the server sees it. */
export interface ConnectionEnds {
  /** The client's address and port (the server socket's remote end). */
  clientAddress: string;
  clientPort: number;
  /** The server's address and port (the server socket's local end). */
  serverAddress: string;
  serverPort: number;
}

export type PeerAccount =
  | { verified: true; uid: number; account: string }
  | { verified: false; reason: 'unsupported-os' | 'not-found' | 'ambiguous' | 'unreadable' };

export interface PeerLookupOptions {
  platform?: NodeJS.Platform;
  procFiles?: readonly string[];
  passwdFile?: string;
  /** Byte order the kernel printed addresses in (default: this machine's). */
  littleEndian?: boolean;
}

/** Longest account name kept; longer ones are cut (the log must not be flooded). */
export const maxAccountChars = 64;

/**
 * Decodes an address of /proc/net/tcp{,6}: 8 or 32 hex digits, each 32-bit word printed as the
 * kernel holds it (network byte order read as a host integer, so reversed on little-endian PCs).
 * IPv4-mapped IPv6 addresses come back as dotted IPv4, the way the other end would see them.
 */
export function decodeProcAddress(hex: string, littleEndian = endianness() === 'LE'): string {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) throw new Error(`not a /proc/net/tcp address: ${hex}`);
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(word + i, word + i + 2), 16));
    bytes.push(...(littleEndian ? wordBytes.reverse() : wordBytes));
  }
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** One spelling per address, so Node's view and the kernel's compare equal ("::ffff:127.0.0.1" is 127.0.0.1). */
export function canonicalAddress(address: string): string {
  const plain = address.toLowerCase().replace(/%.*$/, '');
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped) return mapped[1]!;
  if (!plain.includes(':')) return plain;
  try {
    return new URL(`http://[${plain}]/`).hostname.slice(1, -1);
  } catch {
    return plain;
  }
}

/** The rows of a /proc/net/tcp or /proc/net/tcp6 text; lines that do not fit the layout are skipped. */
export function parseProcNetTcp(text: string, littleEndian = endianness() === 'LE'): TcpSocketRow[] {
  const rows: TcpSocketRow[] = [];
  for (const line of text.split('\n')) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode …"
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^\d+:$/.test(fields[0]!)) continue;
    const local = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(fields[1]!);
    const remote = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(fields[2]!);
    if (!local || !remote || !/^[0-9A-Fa-f]{2}$/.test(fields[3]!) || !/^\d+$/.test(fields[7]!) || !/^\d+$/.test(fields[9]!)) continue;
    try {
      rows.push({
        localAddress: decodeProcAddress(local[1]!, littleEndian),
        localPort: parseInt(local[2]!, 16),
        remoteAddress: decodeProcAddress(remote[1]!, littleEndian),
        remotePort: parseInt(remote[2]!, 16),
        state: parseInt(fields[3]!, 16),
        uid: Number(fields[7]),
        inode: Number(fields[9]),
      });
    } catch {
      // An address of an unexpected length: not a row this parser understands.
    }
  }
  return rows;
}

/**
 * The uid owning the client's end of a connection: the connected row whose local end is the
 * client and whose far end is the server. (The server's own accepted socket is the mirror row,
 * owned by the console; it never matches.) null when absent or, impossibly, owned twice.
 */
export function clientSocketUid(rows: readonly TcpSocketRow[], ends: ConnectionEnds): number | null | 'ambiguous' {
  const client = canonicalAddress(ends.clientAddress);
  const server = canonicalAddress(ends.serverAddress);
  const uids = new Set<number>();
  for (const row of rows) {
    if (row.state !== establishedState) continue;
    if (row.localPort !== ends.clientPort || row.remotePort !== ends.serverPort) continue;
    if (row.localAddress !== client || row.remoteAddress !== server) continue;
    uids.add(row.uid);
  }
  if (uids.size > 1) return 'ambiguous';
  return uids.size === 1 ? [...uids][0]! : null;
}

/**
 * The rows of a socket table whose ports are the connection's (client's port local, server's
 * remote), found with one scan of the text: the table lists every socket of the PC, and only these
 * few rows are worth decoding.
 */
export function rowsWithPorts(text: string, ends: Pick<ConnectionEnds, 'clientPort' | 'serverPort'>, littleEndian = endianness() === 'LE'): TcpSocketRow[] {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const pattern = new RegExp(`^ *\\d+: [0-9A-Fa-f]+:${hex(ends.clientPort)} [0-9A-Fa-f]+:${hex(ends.serverPort)} .*$`, 'gm');
  const lines = text.match(pattern);
  return lines ? parseProcNetTcp(lines.join('\n'), littleEndian) : [];
}

/** Account names by uid from an /etc/passwd text (the first name of a uid wins, as getpwuid does). */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid)) continue;
    const id = Number(uid);
    if (!names.has(id)) names.set(id, name);
  }
  return names;
}

/** The account name of `uid`, or "uid <n>" when /etc/passwd does not list it (directory accounts). */
export async function accountOfUid(uid: number, passwd = passwdFile): Promise<string> {
  const text = await readFile(passwd, 'utf8').catch(() => '');
  return parsePasswd(text).get(uid)?.slice(0, maxAccountChars) ?? `uid ${uid}`;
}

/** The OS account on the other end of a loopback connection, as the kernel knows it. */
export async function peerAccount(ends: Partial<ConnectionEnds>, options: PeerLookupOptions = {}): Promise<PeerAccount> {
  if ((options.platform ?? process.platform) !== 'linux') return { verified: false, reason: 'unsupported-os' };
  const { clientAddress, clientPort, serverAddress, serverPort } = ends;
  if (clientAddress === undefined || clientPort === undefined || serverAddress === undefined || serverPort === undefined) {
    return { verified: false, reason: 'not-found' }; // the socket is already gone
  }
  const connection = { clientAddress, clientPort, serverAddress, serverPort };
  let readable = 0;
  // IPv4 first: where the console listens on 127.0.0.1 the client's socket is almost always there
  // (reading a table costs the kernel a walk of every socket). An IPv6 client socket speaking to
  // ::ffff:127.0.0.1 is listed in tcp6 instead, so a miss looks there too.
  for (const file of options.procFiles ?? procNetTcpFiles) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) continue; // tcp6 is absent where IPv6 is off
    readable++;
    const uid = clientSocketUid(rowsWithPorts(text, connection, options.littleEndian), connection);
    if (uid === 'ambiguous') return { verified: false, reason: 'ambiguous' };
    if (uid !== null) return { verified: true, uid, account: await accountOfUid(uid, options.passwdFile) };
  }
  return readable === 0 ? { verified: false, reason: 'unreadable' } : { verified: false, reason: 'not-found' };
}
