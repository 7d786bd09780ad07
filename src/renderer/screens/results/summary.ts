// One-line summary of a command outcome, e.g. "Đã khoá 11/12 máy; PC-07 ngoại tuyến".
import type { CommandOutcome, MachineResult } from '../../../shared/api/contract.js';
import { translate, type Language } from '../../../shared/i18n/index.js';

/** Names listed in the summary line before "and N more"; the details table lists them all. */
export const summaryNamesShown = 3;

function byName(a: MachineResult, b: MachineResult): number {
  return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
}

export function listNames(language: Language, names: string[]): string {
  if (names.length <= summaryNamesShown) return names.join(', ');
  return translate(language, 'ui.result.andMore', {
    names: names.slice(0, summaryNamesShown).join(', '),
    count: names.length - summaryNamesShown,
  });
}

export function outcomeHeadline(language: Language, outcome: CommandOutcome): string {
  const total = outcome.results.length;
  const done = outcome.results.filter((r) => r.status === 'done').length;
  const key = ['lock', 'unlock', 'showMessage'].includes(outcome.command) ? `ui.result.${outcome.command}` : 'ui.result.other';
  return translate(language, key, { done, total, command: outcome.command });
}

/** Headline then the machines that did not do it, grouped by why. */
export function summariseOutcome(language: Language, outcome: CommandOutcome): string {
  const sorted = [...outcome.results].sort(byName);
  const offline = sorted.filter((r) => r.status === 'offline').map((r) => r.name);
  const failed = sorted.filter((r) => r.status === 'failed').map((r) => r.name);
  const parts = [outcomeHeadline(language, outcome)];
  if (offline.length) parts.push(translate(language, 'ui.result.offline', { names: listNames(language, offline) }));
  if (failed.length) parts.push(translate(language, 'ui.result.failed', { names: listNames(language, failed) }));
  return parts.join('; ');
}

export function allDone(outcome: CommandOutcome): boolean {
  return outcome.results.every((r) => r.status === 'done');
}

/** Per-machine reason as the teacher should read it. */
export function resultReason(language: Language, result: MachineResult): string {
  if (result.status === 'done') return '';
  if (result.status === 'offline') return translate(language, 'ui.result.reason.offline');
  if (!result.reason || result.reason === 'timeout') return translate(language, 'ui.result.reason.timeout');
  return result.reason;
}

/** Results in name order, problems first, for the details table. */
export function resultRows(outcome: CommandOutcome): MachineResult[] {
  const rank = { failed: 0, offline: 1, done: 2 } as const;
  return [...outcome.results].sort((a, b) => rank[a.status] - rank[b.status] || byName(a, b));
}
