// Reads one UT1 category (the squidGuard layout: <category>/domains, urls, expressions).
//
// domains: one name per line, each covering its subdomains (squidGuard domainlist semantics).
// urls: squidGuard compares them with the request URL after removing the scheme, a leading
//   "www." / "wwwN." / "web." / "ftp." label and the port (squidGuard configuration, "URLlists").
//   A DNS filter sees only the host, so we take an entry only when it is a whole site ("host" or
//   "host/"), stripping that same leading label; an entry with a path would block the whole host
//   for one page (think youtube.com/watch?v=...), so it is skipped and counted as `url-path`.
// expressions: regular expressions over URLs; they cannot become domain entries, so every line is
//   counted as skipped (`regular-expression`).

import { readDomainLine } from './parse-domains.js';
import { forEachLine, ListCollector, looksLikeHtml, type ParsedList } from './list-report.js';

export interface Ut1CategoryFiles {
  domains?: string;
  urls?: string;
  expressions?: string;
}

// The prefixes squidGuard removes from a request host before looking it up in a urllist.
const squidGuardHostPrefix = /^(www|web|ftp)\d*\./;

/** The host of a UT1 `urls` line when the line means the whole site, else null. */
export function wholeSiteHost(entry: string): string | null {
  let rest = entry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (slash !== rest.length - 1) return null;
    rest = rest.slice(0, slash);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(colon + 1))) rest = rest.slice(0, colon);
  const stripped = rest.replace(squidGuardHostPrefix, '');
  // Keep the prefix when removing it would leave a bare TLD ("www.com").
  return stripped.includes('.') ? stripped : rest;
}

/** Parses the files of one UT1 category into one list; `source` is e.g. "ut1/gambling". */
export function parseUt1Category(files: Ut1CategoryFiles, source: string): ParsedList {
  const collector = new ListCollector(source, 'ut1');
  if (files.domains !== undefined) {
    collector.file = 'domains';
    if (looksLikeHtml(files.domains)) collector.problem('not-a-list', 1, files.domains.slice(0, 80));
    else forEachLine(files.domains, collector, (line, lineNumber) => readDomainLine(collector, line, lineNumber));
  }
  if (files.urls !== undefined) {
    collector.file = 'urls';
    forEachLine(files.urls, collector, (line, lineNumber) => {
      if (line.charCodeAt(0) === 0x23) return;
      const host = wholeSiteHost(line);
      if (host === null) collector.problem('url-path', lineNumber, line);
      else collector.addName(host, false, lineNumber, line);
    });
  }
  if (files.expressions !== undefined) {
    collector.file = 'expressions';
    forEachLine(files.expressions, collector, (line, lineNumber) => {
      if (line.charCodeAt(0) === 0x23) return;
      collector.problem('regular-expression', lineNumber, line);
    });
  }
  collector.file = undefined;
  return collector.finish();
}
