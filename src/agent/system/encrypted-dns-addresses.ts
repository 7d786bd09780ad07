// The shipped list of public encrypted-DNS resolver addresses (resources/lists/encrypted-dns-addresses.list):
// read and checked here, so a firewall never sees a line it was not meant to. One address or CIDR
// prefix a line, IPv4 or IPv6; `#` starts a comment; a bad line is counted and skipped, never fatal.

import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shipped list, in the source tree and next to the built code alike: this file sits at
 * src/agent/system/ (tests) or dist/agent/system/ (built), three levels below the project root.
 */
export const defaultEncryptedDnsAddressesFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../../resources/lists/encrypted-dns-addresses.list');
/** The list is a few kilobytes; anything far larger is not our file. */
export const maxEncryptedDnsAddressesBytes = 256 * 1024;

export interface EncryptedDnsAddresses {
  /** Addresses and prefixes, as written ("1.1.1.1", "45.90.28.0/24"). */
  ipv4: string[];
  ipv6: string[];
  /** Lines that are not an address or prefix: line number (from 1) and why. */
  badLines: { line: number; reason: string }[];
}

/** Whether `text` is one IPv4/IPv6 address or a prefix with no host bits set; the reason when not. */
export function checkAddressOrPrefix(text: string): { family: 4 | 6 } | { reason: string } {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = net.isIP(address);
  if (rest.length > 0 || (family !== 4 && family !== 6)) return { reason: `"${text.slice(0, 60)}" is not an IP address` };
  if (prefix === undefined) return { family };
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return { reason: `"/${prefix.slice(0, 10)}" is not a prefix length (0-${bits})` };
  if (!hostBitsZero(address, family, Number(prefix))) return { reason: `${text} has host bits set (write the network address)` };
  return { family };
}

function addressBytes(address: string, family: 4 | 6): number[] {
  if (family === 4) return address.split('.').map(Number);
  // A dotted IPv4 tail ("::ffff:1.2.3.4") is two more 16-bit groups.
  let text = address.replace(/%.*$/, '');
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

function hostBitsZero(address: string, family: 4 | 6, prefix: number): boolean {
  const bytes = addressBytes(address, family);
  return bytes.every((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return (byte & (0xff >> keep)) === 0;
  });
}

export function parseEncryptedDnsAddresses(text: string): EncryptedDnsAddresses {
  const out: EncryptedDnsAddresses = { ipv4: [], ipv6: [], badLines: [] };
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const entry = raw.replace(/#.*$/, '').trim().toLowerCase();
    if (entry === '') return;
    const checked = checkAddressOrPrefix(entry);
    if ('reason' in checked) {
      out.badLines.push({ line: index + 1, reason: checked.reason });
      return;
    }
    if (seen.has(entry)) return;
    seen.add(entry);
    (checked.family === 4 ? out.ipv4 : out.ipv6).push(entry);
  });
  return out;
}

/** Reads the list (default: the shipped one). Throws when it cannot be read: the install is broken. */
export async function readEncryptedDnsAddresses(file: string = defaultEncryptedDnsAddressesFile): Promise<EncryptedDnsAddresses> {
  const st = await stat(file);
  if (st.size > maxEncryptedDnsAddressesBytes) throw new Error(`${file} is larger than ${maxEncryptedDnsAddressesBytes} bytes`);
  return parseEncryptedDnsAddresses(await readFile(file, 'utf8'));
}
