// When a list's report may quote the lines it could not use. The first bad lines help IT staff fix
// a list, but a list source can name any file the console can read: a file that is mostly bad
// lines (a key, a settings file, a database, an HTML page) or holds a PEM block is no list, and its
// report keeps only the counts and reasons — never a line of its content.

import type { ParsedList } from '../../shared/filtering/list-report.js';
import { containsKeyMaterial } from './local-files.js';

/** True when more than half of the lines that meant something are bad: not a list, whatever its name. */
export function mostlyBad(report: ParsedList['report']): boolean {
  const meaningful = report.accepted + report.duplicate + report.bad + report.skipped;
  return report.bad * 2 > meaningful;
}

/** The parsed list, with its example lines dropped unless the text it came from looks like a list. */
export function withExamplesOnlyFromLists(parsed: ParsedList, texts: readonly string[]): ParsedList {
  if (parsed.report.examples.length === 0) return parsed;
  if (!mostlyBad(parsed.report) && !texts.some(containsKeyMaterial)) return parsed;
  return { ...parsed, report: { ...parsed.report, examples: [] } };
}
