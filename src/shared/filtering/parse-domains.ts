// Reads plain domain lists: one name per line, '#', '!' or ';' comments, inline '#' comments.
//
// Each entry covers its subdomains. No `www.` stripping: in a plain list `www.example.com` means
// exactly that host (and its subdomains), so stripping would block more than the list says.
// One leading dot is accepted and dropped: `.example.com` is Squid's (and some UT1 lines') way of
// writing "example.com and its subdomains", which is what every entry means here anyway.

import { forEachLine, ListCollector, looksLikeHtml, stripInlineComment, type ParsedList } from './list-report.js';

function isCommentLine(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 0x23 /* # */ || c === 0x21 /* ! */ || c === 0x3b /* ; */;
}

/** Feeds one plain-list line to the collector (shared with the UT1 `domains` file). */
export function readDomainLine(collector: ListCollector, line: string, lineNumber: number): void {
  if (isCommentLine(line)) return;
  let entry = stripInlineComment(line);
  if (entry.length === 0) return;
  if (entry.charCodeAt(0) === 0x2e && entry.charCodeAt(1) !== 0x2e) entry = entry.slice(1);
  if (entry.includes('/')) {
    collector.problem('url', lineNumber, line);
    return;
  }
  if (/\s/.test(entry)) {
    collector.problem('bad-character', lineNumber, line);
    return;
  }
  collector.addName(entry, false, lineNumber, line);
}

/** Parses a plain domain list. `source` names it in the report (URL, path or label). */
export function parseDomainList(text: string, source: string): ParsedList {
  const collector = new ListCollector(source, 'domains');
  if (looksLikeHtml(text)) {
    collector.problem('not-a-list', 1, text.slice(0, 80));
    return collector.finish();
  }
  forEachLine(text, collector, (line, lineNumber) => readDomainLine(collector, line, lineNumber));
  return collector.finish();
}
