// Reads adblock-style lists as DNS filters use them: `||domain^` blocks, `@@||domain^` allows.
//
// Rules only a browser can enforce (element hiding `##`, paths `||x.com/ads`, regexes `/.../`, most
// `$` options) are skipped with a count, not treated as errors. A `||domain^` rule covers the domain
// and its subdomains, exactly our matcher's meaning. Bare host names and hosts-style lines inside an
// adblock list are accepted too, as AdGuard's DNS filter syntax does. No `www.` stripping.

import { classifyHostsAddress, readHostsLine } from './parse-hosts.js';
import { forEachLine, ListCollector, looksLikeHtml, type ParsedList } from './list-report.js';

/** `$` options that do not narrow a rule below "the whole domain" for a DNS filter. */
const wholeDomainModifiers: ReadonlySet<string> = new Set(['important', 'all', 'document', 'doc']);

const cosmeticMarkers = ['##', '#@#', '#?#', '#$#', '#%#', '#@?#', '#@$#', '#@%#'];
const hostChars = /^[A-Za-z0-9._*\u0080-\uffff-]+$/;

function isCosmetic(line: string): boolean {
  for (const marker of cosmeticMarkers) if (line.includes(marker)) return true;
  return false;
}

/** Feeds one adblock line (trimmed) to the collector. */
function readAdblockLine(collector: ListCollector, line: string, lineNumber: number): void {
  const first = line.charCodeAt(0);
  if (first === 0x21 /* ! */ || first === 0x5b /* [ header */) return;
  if (isCosmetic(line)) {
    collector.problem('cosmetic-rule', lineNumber, line);
    return;
  }
  if (first === 0x23 /* # */) return; // a '#' comment (cosmetic rules were caught above)

  // Hand-written lists put notes after a rule ("||ads.example.com^  # tracker"); '#' after
  // whitespace is never part of a network rule (cosmetic rules were caught above).
  let rule = line.replace(/\s+#.*$/, '');
  let allow = false;
  if (rule.startsWith('@@')) {
    allow = true;
    rule = rule.slice(2);
  }
  if (rule.length > 1 && rule.startsWith('/') && rule.endsWith('/')) {
    collector.problem('regular-expression', lineNumber, line);
    return;
  }

  let modifiers: string | undefined;
  const dollar = rule.lastIndexOf('$');
  if (dollar >= 0) {
    modifiers = rule.slice(dollar + 1);
    rule = rule.slice(0, dollar);
  }

  let host: string;
  if (rule.startsWith('||')) {
    const body = rule.slice(2);
    const caret = body.indexOf('^');
    host = caret < 0 ? body : body.slice(0, caret);
    const rest = caret < 0 ? '' : body.slice(caret + 1);
    if (rest !== '' && rest !== '|') {
      collector.problem('url-path', lineNumber, line);
      return;
    }
    if (host.includes('/')) {
      collector.problem('url-path', lineNumber, line);
      return;
    }
  } else if (!allow && modifiers === undefined && /\s/.test(rule) && classifyHostsAddress(rule.split(/\s+/)[0]!) !== null) {
    readHostsLine(collector, rule, lineNumber);
    return;
  } else {
    // A bare pattern is a URL substring in adblock syntax; take it as a host only when it looks like
    // one (inner dot, no leading separator), so "-ad-banner." stays a skipped browser rule.
    host = rule.endsWith('^') ? rule.slice(0, -1) : rule;
    const inner = host.endsWith('.') ? host.slice(0, -1) : host;
    if (!hostChars.test(host) || !inner.includes('.') || /^[-._]/.test(inner)) {
      collector.problem('unsupported-rule', lineNumber, line);
      return;
    }
  }

  if (modifiers !== undefined) {
    const options = modifiers.split(',').map((option) => option.trim().toLowerCase());
    if (!options.every((option) => wholeDomainModifiers.has(option))) {
      collector.problem('unsupported-modifier', lineNumber, line);
      return;
    }
  }
  if (host.length === 0) {
    collector.problem('missing-name', lineNumber, line);
    return;
  }
  collector.addName(host, allow, lineNumber, line);
}

/** Parses an adblock-style list into block names and allow (`@@`) names. */
export function parseAdblockList(text: string, source: string): ParsedList {
  const collector = new ListCollector(source, 'adblock');
  if (looksLikeHtml(text)) {
    collector.problem('not-a-list', 1, text.slice(0, 80));
    return collector.finish();
  }
  forEachLine(text, collector, (line, lineNumber) => readAdblockLine(collector, line, lineNumber));
  return collector.finish();
}
