// One-line summary of a command outcome, e.g. "Đã khoá 11/12 máy; PC-07 ngoại tuyến".
import type { CommandOutcome, MachineResult } from '../../../shared/api/contract.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import { lockNotShownCode } from '../../../shared/protocol/errors.js';

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

/** Catalogue key of each reason code a result may carry; anything else reads as "other". */
export const reasonKeys: Readonly<Record<string, string>> = {
  timeout: 'ui.result.reason.timeout',
  pending: 'ui.result.reason.timeout',
  disconnected: 'ui.result.reason.disconnected',
  'not-found': 'ui.result.reason.notFound',
  busy: 'ui.result.reason.busy',
  'command-failed': 'ui.result.reason.commandFailed',
  'command-unsupported': 'ui.result.reason.unsupported',
  [lockNotShownCode]: 'ui.result.reason.lockNotShown',
  failed: 'ui.result.reason.commandFailed',
};

/** Per-machine reason as the teacher should read it, in their language. */
export function resultReason(language: Language, result: MachineResult): string {
  if (result.status === 'done') return '';
  if (result.status === 'offline') return translate(language, 'ui.result.reason.offline');
  const code = result.reason ?? 'timeout';
  const key = Object.hasOwn(reasonKeys, code) ? reasonKeys[code]! : 'ui.result.reason.other';
  return translate(language, key, { code });
}

/** What the PC itself said (often English, from the OS): shown under the reason, as detail only. */
export function resultDetail(result: MachineResult): string {
  return result.status === 'failed' && result.detail ? result.detail : '';
}

/** Results in name order, problems first, for the details table. */
export function resultRows(outcome: CommandOutcome): MachineResult[] {
  const rank = { failed: 0, offline: 1, done: 2 } as const;
  return [...outcome.results].sort((a, b) => rank[a.status] - rank[b.status] || byName(a, b));
}
