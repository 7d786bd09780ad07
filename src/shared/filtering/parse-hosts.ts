// Reads hosts files used as block lists: "0.0.0.0 a.com b.com", "127.0.0.1 name", ":: name", '#' comments.
//
// Only lines that send names nowhere (0.0.0.0, 127.x, ::, ::1) are block entries; a line pointing a
// name at a real address is a redirect, which a block list cannot express, so it is skipped with a
// count. The usual localhost lines at the top of every hosts file are skipped too. Names are taken
// as written (no `www.` stripping: hosts entries are exact host names).

import { forEachLine, ListCollector, looksLikeHtml, stripInlineComment, type ParsedList } from './list-report.js';

/** Names every hosts file carries for the machine itself; they are never list entries. */
const boilerplateNames: ReadonlySet<string> = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address (zone index allowed, IPv4 tail allowed), or null. */
function ipv6Groups(token: string): number[] | null {
  const address = token.replace(/%[\w.-]+$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(address) || !address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = ipv4.exec(piece);
        if (!v4 || v4.slice(1).some((octet) => Number(octet) > 255)) return null;
        const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  if (head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * 'block' for sink addresses (0.0.0.0, 127.x, ::, ::1 and their IPv4-mapped forms), 'redirect' for
 * any other IP address, null when the token is not an address.
 */
export function classifyHostsAddress(token: string): 'block' | 'redirect' | null {
  const v4 = ipv4.exec(token);
  if (v4) {
    if (v4.slice(1).some((part) => Number(part) > 255)) return null;
    return token === '0.0.0.0' || v4[1] === '127' ? 'block' : 'redirect';
  }
  const v6 = ipv6Groups(token);
  if (v6 === null) return null;
  const unspecifiedOrLoopback = v6.slice(0, 7).every((group) => group === 0) && v6[7]! <= 1;
  // ::ffff:0.0.0.0 and ::ffff:127.x.y.z, the IPv4 sinks written as IPv6.
  const mappedSink = v6.slice(0, 5).every((group) => group === 0) && v6[5] === 0xffff && (v6[6] === 0 && v6[7] === 0 || v6[6]! >>> 8 === 127);
  return unspecifiedOrLoopback || mappedSink ? 'block' : 'redirect';
}

/** Feeds one hosts-format line (already trimmed, not a comment) to the collector. */
export function readHostsLine(collector: ListCollector, line: string, lineNumber: number): void {
  const entry = stripInlineComment(line);
  if (entry.length === 0) return;
  const tokens = entry.split(/\s+/);
  const address = classifyHostsAddress(tokens[0]!);
  if (address === null) {
    collector.problem('missing-address', lineNumber, line);
    return;
  }
  if (tokens.length < 2) {
    collector.problem('missing-name', lineNumber, line);
    return;
  }
  if (address === 'redirect') {
    // "fe80::1%lo0 localhost", "ff02::1 ip6-allnodes": the machine's own lines, not redirects.
    const own = tokens.slice(1).every((name) => boilerplateNames.has(name.toLowerCase()));
    collector.problem(own ? 'hosts-boilerplate' : 'hosts-redirect', lineNumber, line);
    return;
  }
  for (let i = 1; i < tokens.length; i++) {
    const name = tokens[i]!;
    if (boilerplateNames.has(name.toLowerCase())) {
      collector.problem('hosts-boilerplate', lineNumber, line);
      continue;
    }
    collector.addName(name, false, lineNumber, line);
  }
}

/** Parses a hosts file. */
export function parseHostsList(text: string, source: string): ParsedList {
  const collector = new ListCollector(source, 'hosts');
  if (looksLikeHtml(text)) {
    collector.problem('not-a-list', 1, text.slice(0, 80));
    return collector.finish();
  }
  forEachLine(text, collector, (line, lineNumber) => {
    if (line.charCodeAt(0) === 0x23 /* # */) return;
    readHostsLine(collector, line, lineNumber);
  });
  return collector.finish();
}
