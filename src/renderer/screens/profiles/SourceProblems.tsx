// The lines of a list source the console could not use, for IT staff: how many and why (counted
// per reason, in the UI language), and the first few lines themselves with their line numbers, so
// a broken or wrongly chosen list can be recognised and fixed at its source.
import type { FilterListInfo } from '../../../shared/api/contract.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import { formatNumber } from '../../format/format.js';
import { useText } from '../../i18n/use-text.js';

type Report = FilterListInfo['reports'][number];

/** The reason in words; the code itself for a reason this console version has no text for. */
export function problemText(language: Language, problem: string): string {
  const key = `filtering.problem.${problem}`;
  const text = translate(language, key);
  return text === key ? problem : text;
}

/** Counts per reason over a source's lists, most frequent first. */
export function problemTotals(reports: readonly Report[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const r of reports) for (const [problem, count] of Object.entries(r.problems)) totals.set(problem, (totals.get(problem) ?? 0) + count);
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function SourceProblems({ reports, language }: { reports: readonly Report[]; language: Language }) {
  const t = useText();
  const bad = reports.reduce((n, r) => n + r.bad, 0);
  const skipped = reports.reduce((n, r) => n + r.skipped, 0);
  const lines = reports.reduce((n, r) => n + r.lines, 0);
  if (reports.length === 0) return <span className="muted">—</span>;
  if (bad + skipped === 0) return <span className="muted">{t('ui.lists.problemsNone', { lines: formatNumber(language, lines, 0) })}</span>;
  const several = reports.length > 1;
  const examples = reports.flatMap((r) => r.examples.map((e) => ({ ...e, list: r.source })));
  return (
    <details className="source-problems" data-testid="source-problems">
      <summary className={bad > 0 ? 'warn-text' : undefined}>
        {t('ui.lists.problems', { bad: formatNumber(language, bad, 0), skipped: formatNumber(language, skipped, 0) })}
      </summary>
      <ul className="problem-totals">
        {problemTotals(reports).map(([problem, count]) => (
          <li key={problem} data-problem={problem}>
            <span className="problem-count">{formatNumber(language, count, 0)}</span> {problemText(language, problem)}
          </li>
        ))}
      </ul>
      {examples.length > 0 && (
        <>
          <p className="hint">{t('ui.lists.examples', { count: examples.length })}</p>
          <ol className="problem-examples">
            {examples.map((e, i) => (
              <li key={i}>
                <span className="problem-where">
                  {several ? `${e.list} · ` : ''}
                  {e.file ? t('ui.lists.fileLine', { file: e.file, line: e.line }) : t('ui.lists.line', { line: e.line })}
                </span>{' '}
                <code>{e.text}</code> <span className="muted">— {problemText(language, e.problem)}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </details>
  );
}
