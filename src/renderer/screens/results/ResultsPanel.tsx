// Per-machine results of the last command: one summary line, every machine in the details.
import { Icon } from '../../components/Icon.js';
import { formatTime } from '../../format/format.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useCommands } from '../../state/commands.js';
import { useLanguage } from '../../state/language.js';
import { allDone, resultDetail, resultReason, resultRows, summariseOutcome } from './summary.js';

export function ResultsPanel() {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const pending = useCommands((s) => s.pending);
  const last = useCommands((s) => s.last);
  const error = useCommands((s) => s.error);

  // The region stays in the page even when empty so screen readers announce what lands in it.
  return (
    <section className="results" aria-live="polite" aria-label={t('ui.result.label')}>
      {pending && (
        <div className="result-card pending">
          <span className="spinner" aria-hidden="true" />
          {t(`ui.pending.${pending.command}`, { count: pending.count })}
        </div>
      )}
      {error && !pending && (
        <div className="result-card failed" role="alert">
          <span>{pick(error)}</span>
          <button type="button" className="icon-button" aria-label={t('ui.result.dismiss')} title={t('ui.result.dismiss')} onClick={() => useCommands.getState().dismiss()}>
            <Icon name="close" />
          </button>
        </div>
      )}
      {last && !pending && !error && (
        <div className={`result-card ${allDone(last) ? 'ok' : 'partial'}`} data-testid="command-results">
          <div className="result-main">
            <p className="result-summary" data-testid="command-summary">
              {summariseOutcome(language, last)}
            </p>
            <span className="muted">{formatTime(language, last.finishedAt)}</span>
            <button type="button" className="icon-button" aria-label={t('ui.result.dismiss')} title={t('ui.result.dismiss')} onClick={() => useCommands.getState().dismiss()}>
              <Icon name="close" />
            </button>
          </div>
          <details>
            <summary>{t('ui.result.details')}</summary>
            <div className="result-details">
            <table className="result-table">
              <thead>
                <tr>
                  <th scope="col">{t('ui.result.machine')}</th>
                  <th scope="col">{t('ui.result.status')}</th>
                  <th scope="col">{t('ui.result.note')}</th>
                </tr>
              </thead>
              <tbody>
                {resultRows(last).map((r) => (
                  <tr key={r.machineId} className={`row-${r.status}`}>
                    <th scope="row">{r.name}</th>
                    <td>{t(`ui.result.status.${r.status}`)}</td>
                    <td>
                      {resultReason(language, r)}
                      {resultDetail(r) && (
                        <span className="result-detail muted" title={t('ui.result.detailFromPc')}>
                          {t('ui.result.detailFromPc')}: {resultDetail(r)}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </details>
        </div>
      )}
    </section>
  );
}
