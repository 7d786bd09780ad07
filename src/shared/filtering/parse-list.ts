// Picks the parser for a list: by the format the source declares, or by looking at the first lines.

import { parseAdblockList } from './parse-adblock.js';
import { parseDomainList } from './parse-domains.js';
import { classifyHostsAddress } from './parse-hosts.js';
import { parseHostsList } from './parse-hosts.js';
import type { ParsedList } from './list-report.js';

export type TextListFormat = 'domains' | 'hosts' | 'adblock';

/** How many meaningful lines format detection looks at. */
const detectionSampleLines = 200;

/**
 * Guesses the format from the first meaningful lines: an `[Adblock` header or `||` / `@@` rules mean
 * adblock; lines starting with an IP address mean hosts; anything else is a plain domain list.
 */
export function detectListFormat(text: string): TextListFormat {
  let hostsLines = 0;
  let domainLines = 0;
  let seen = 0;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length && seen < detectionSampleLines) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 1024)).trim();
    start = end + 1;
    if (line.length === 0) continue;
    if (line.startsWith('[Adblock') || line.startsWith('||') || line.startsWith('@@')) return 'adblock';
    if (line.startsWith('#') || line.startsWith('!') || line.startsWith(';')) continue;
    seen++;
    const first = line.split(/\s+/, 1)[0]!;
    if (classifyHostsAddress(first) !== null && /\s/.test(line)) hostsLines++;
    else domainLines++;
  }
  return hostsLines > domainLines ? 'hosts' : 'domains';
}

/** Parses `text` as `format` ('auto' detects it). */
export function parseList(text: string, format: TextListFormat | 'auto', source: string): ParsedList {
  const chosen = format === 'auto' ? detectListFormat(text) : format;
  switch (chosen) {
    case 'adblock':
      return parseAdblockList(text, source);
    case 'hosts':
      return parseHostsList(text, source);
    case 'domains':
      return parseDomainList(text, source);
  }
}
