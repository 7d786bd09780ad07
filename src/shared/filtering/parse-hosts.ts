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

/** 'block' for sink addresses, 'redirect' for any other IP address, null when it is not an address. */
export function classifyHostsAddress(token: string): 'block' | 'redirect' | null {
  const v4 = ipv4.exec(token);
  if (v4) {
    if (v4.slice(1).some((part) => Number(part) > 255)) return null;
    return token === '0.0.0.0' || v4[1] === '127' ? 'block' : 'redirect';
  }
  if (token.includes(':') && /^[0-9a-fA-F:.]+(%\w+)?$/.test(token)) {
    const compact = token.toLowerCase();
    return compact === '::' || compact === '::1' || /^(0{1,4}:){7}0{0,3}[01]$/.test(compact) ? 'block' : 'redirect';
  }
  return null;
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
    collector.problem('hosts-redirect', lineNumber, line);
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
