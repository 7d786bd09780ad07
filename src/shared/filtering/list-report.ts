// What a parser found in one source: the names it loaded and an honest count of every line it could not use.
//
// A broken line never stops the rest of the file; it becomes a counted problem with its line number,
// and the first few examples are kept so IT staff can see what went wrong.

import { normaliseName, type NameProblem } from './names.js';

export type ListFormat = 'domains' | 'hosts' | 'adblock' | 'ut1';

/** Lines that are wrong: they were meant as entries but cannot be read. */
export type BadLineProblem =
  | NameProblem
  | 'url'
  | 'missing-name'
  | 'missing-address'
  | 'line-too-long'
  | 'not-a-list';

/** Lines that are fine in their format but mean something a DNS filter cannot enforce. */
export type SkippedLineProblem =
  | 'cosmetic-rule'
  | 'url-path'
  | 'regular-expression'
  | 'unsupported-rule'
  | 'unsupported-modifier'
  | 'hosts-redirect'
  | 'hosts-boilerplate';

export type LineProblem = BadLineProblem | SkippedLineProblem;

const skippedProblems: ReadonlySet<LineProblem> = new Set<SkippedLineProblem>([
  'cosmetic-rule',
  'url-path',
  'regular-expression',
  'unsupported-rule',
  'unsupported-modifier',
  'hosts-redirect',
  'hosts-boilerplate',
]);

/** True for problems that are "not enforceable by DNS" rather than "wrong". */
export function isSkippedProblem(problem: LineProblem): problem is SkippedLineProblem {
  return skippedProblems.has(problem);
}

/** How many example lines a report keeps (the counts are always complete). */
export const maxReportExamples = 20;
/** Example text is cut to this many characters. */
export const maxExampleChars = 200;
/** Longer lines are refused unread: no list entry is this long, binary or HTML junk often is. */
export const maxLineChars = 4096;

export interface LineExample {
  /** File inside the source (UT1: domains / urls / expressions), when the source has several. */
  file?: string;
  /** 1-based line number. */
  line: number;
  problem: LineProblem;
  text: string;
}

export interface ListReport {
  /** Where the list came from, as shown to IT staff (URL, path, "ut1/gambling"). */
  source: string;
  format: ListFormat;
  lines: number;
  /** Distinct names loaded (block + allow). */
  accepted: number;
  /** Names seen again in the same source. */
  duplicate: number;
  bad: number;
  skipped: number;
  problems: Partial<Record<LineProblem, number>>;
  examples: LineExample[];
}

export interface ParsedList {
  /** Normalised names to block (each also covers its subdomains). */
  block: string[];
  /** Normalised names to allow (adblock `@@` rules). */
  allow: string[];
  /** IP addresses found where names were expected (UT1 lists some DoH/proxy servers by address). */
  addresses: string[];
  report: ListReport;
}

/** Accumulates one source's names and problems; parsers feed it line by line. */
export class ListCollector {
  private readonly blockSet = new Set<string>();
  private readonly allowSet = new Set<string>();
  private readonly addressSet = new Set<string>();
  private readonly report: ListReport;
  /** File name stamped on examples (UT1 sources switch it between files). */
  file: string | undefined;

  constructor(source: string, format: ListFormat) {
    this.report = { source, format, lines: 0, accepted: 0, duplicate: 0, bad: 0, skipped: 0, problems: {}, examples: [] };
  }

  countLines(lines: number): void {
    this.report.lines += lines;
  }

  /** Normalises `raw` and adds it to the block or allow set, or records why not. Returns whether it was loaded. */
  addName(raw: string, allow: boolean, line: number, text: string): boolean {
    const result = normaliseName(raw);
    if (!result.ok) {
      if (result.problem === 'ip-address') this.addressSet.add(raw);
      this.problem(result.problem, line, text);
      return false;
    }
    const target = allow ? this.allowSet : this.blockSet;
    if (target.has(result.name)) {
      this.report.duplicate++;
      return false;
    }
    target.add(result.name);
    this.report.accepted++;
    return true;
  }

  problem(problem: LineProblem, line: number, text: string): void {
    if (isSkippedProblem(problem)) this.report.skipped++;
    else this.report.bad++;
    this.report.problems[problem] = (this.report.problems[problem] ?? 0) + 1;
    if (this.report.examples.length < maxReportExamples) {
      const example: LineExample = { line, problem, text: text.length > maxExampleChars ? text.slice(0, maxExampleChars) + '…' : text };
      if (this.file !== undefined) example.file = this.file;
      this.report.examples.push(example);
    }
  }

  finish(): ParsedList {
    return { block: [...this.blockSet], allow: [...this.allowSet], addresses: [...this.addressSet], report: this.report };
  }
}

/**
 * Calls `onLine(text, lineNumber)` for each line (LF, CRLF or a lone CR as old Mac files have; BOM
 * removed; trimmed), without building an array of every line first. Over-long lines are reported
 * and not passed on.
 */
export function forEachLine(text: string, collector: ListCollector, onLine: (line: string, lineNumber: number) => void): void {
  if (text.length === 0) return;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNumber = 0;
  // Next CR is searched once per CR, not once per line: files without any CR stay one pass.
  let nextCr = text.indexOf('\r', start);
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (nextCr >= 0 && nextCr < start) nextCr = text.indexOf('\r', start);
    // A CR not followed by LF ends a line by itself (in CRLF the CR is trimmed with the line).
    if (nextCr >= 0 && nextCr < end && text.charCodeAt(nextCr + 1) !== 0x0a) end = nextCr;
    lineNumber++;
    if (end - start > maxLineChars) {
      collector.problem('line-too-long', lineNumber, text.slice(start, start + maxExampleChars));
    } else {
      const line = text.slice(start, end).trim();
      if (line.length > 0) onLine(line, lineNumber);
    }
    if (end >= text.length) break;
    start = end + 1;
  }
  // A final line break does not make an extra line.
  const last = text.charCodeAt(text.length - 1);
  if (last === 0x0a || last === 0x0d) lineNumber--;
  collector.countLines(Math.max(lineNumber, 0));
}

/** Cuts an inline `#` comment ("example.com # tracker"). '#' can never be part of a name. */
export function stripInlineComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash).trimEnd();
}

/** True when the text looks like an HTML page (a captive portal or error page instead of a list). */
export function looksLikeHtml(text: string): boolean {
  const head = text.slice(0, 512).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<?xml') || head.startsWith('<head');
}
