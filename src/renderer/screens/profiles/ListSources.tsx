// The block lists behind every profile: the compiled list in force and the lists it had to leave
// out, each source and its copy (downloaded, stale, never downloaded…) with the lines it could not
// use and why, the buttons to download now or on a schedule, and adding or removing sources.
import { useId, useState } from 'react';
import type { ListSourceView } from '../../../shared/api/contract.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Icon } from '../../components/Icon.js';
import { formatBytes, formatDateTime, formatNumber } from '../../format/format.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { refreshLists, removeListSource, setListsAutoRefresh } from '../../state/filtering-actions.js';
import { useFiltering } from '../../state/filtering.js';
import { useLanguage } from '../../state/language.js';
import { categoryLabel } from '../filtering/filter-text.js';
import { ListsNotice } from '../filtering/ListsNotice.js';
import { AddListSource } from './AddListSource.js';
import { LeftOutLists } from './LeftOutLists.js';
import { SourceProblems } from './SourceProblems.js';

function dateOf(language: Language, iso: string | null): string {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? formatDateTime(language, ms) : '—';
}

function sourceName(language: Language, view: ListSourceView): string {
  const s = view.source;
  switch (s.type) {
    case 'ut1-category':
      return `${categoryLabel(language, s.category)} (UT1)`;
    case 'ut1-folder':
    case 'ut1-tarball':
      return translate(language, 'ui.lists.ut1Copy');
    case 'url':
    case 'file':
      return categoryLabel(language, s.category);
  }
}

function sourceState(language: Language, view: ListSourceView): string {
  const { status } = view;
  const date = dateOf(language, status.lastSuccessAt);
  const text = {
    'never-downloaded': () => translate(language, 'filtering.source.neverDownloaded'),
    fresh: () => translate(language, 'filtering.source.fresh', { date }),
    stale: () => translate(language, 'filtering.source.stale', { date }),
    'last-good': () => translate(language, 'filtering.source.usingLastGood', { date }),
    local: () => translate(language, 'filtering.source.local'),
    'local-missing': () => translate(language, 'filtering.source.localMissing'),
  }[status.state]();
  const error = status.lastError ? translate(language, status.lastError.messageKey, { status: status.lastError.detail }) : '';
  return error ? `${text} ${error}` : text;
}

export function ListSources() {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const online = useConnection((s) => s.status === 'online');
  const lists = useFiltering((s) => s.lists);
  const sources = useFiltering((s) => s.sources);
  const headingId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  /** The source whose removal waits for a second press. */
  const [confirming, setConfirming] = useState<string | null>(null);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }

  const current = lists?.current ?? null;
  const reportsOf = (sourceId: string) => current?.reports.filter((r) => r.sourceId === sourceId) ?? [];
  const ownReports = current?.reports.filter((r) => r.sourceId === null && r.bad + r.skipped > 0) ?? [];
  const withProblems = sources.filter((view) => reportsOf(view.source.id).some((r) => r.bad > 0)).length;
  return (
    <section className="panel lists-panel" aria-labelledby={headingId} data-testid="list-sources">
      <h2 id={headingId}>{t('ui.lists.title')}</h2>
      <ListsNotice forItStaff />
      <p>
        {current
          ? t('ui.lists.current', { entries: formatNumber(language, current.entries, 0), size: formatBytes(language, current.bytes), date: formatDateTime(language, current.builtAt) })
          : t('ui.lists.noneCompiled')}
      </p>
      {lists?.building && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> {t('ui.lists.building')}
        </p>
      )}
      {lists?.lastError && <p className="warn-text">{t('ui.lists.buildFailed', { detail: lists.lastError })}</p>}
      {current && <LeftOutLists leftOut={current.leftOut} language={language} />}
      <div className="inline-actions">
        <button type="button" disabled={busy || !online} onClick={() => void run(refreshLists)}>
          <Icon name="download" />
          {t('ui.lists.refresh')}
        </button>
        <label className="check-line">
          <input type="checkbox" checked={lists?.autoRefresh ?? false} disabled={busy || !online || !lists} onChange={(e) => void run(() => setListsAutoRefresh(e.target.checked))} />
          <span>{t('ui.lists.autoRefresh')}</span>
        </label>
        {busy && (
          <span className="muted" role="status">
            <span className="spinner" aria-hidden="true" /> {t('ui.lists.working')}
          </span>
        )}
      </div>
      <p className="hint">
        {lists?.lastRefreshAt ? t('ui.lists.lastRefresh', { date: formatDateTime(language, lists.lastRefreshAt) }) : t('ui.lists.neverRefreshed')}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      {sources.length > 0 && (
        <details className="sources">
          <summary>
            {t('ui.lists.sources', { count: sources.length })}
            {withProblems > 0 && <span className="warn-text"> · {t('ui.lists.sourcesWithProblems', { count: withProblems })}</span>}
          </summary>
          <div className="sources-wrap">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t('ui.lists.source')}</th>
                  <th scope="col">{t('ui.lists.state')}</th>
                  <th scope="col">{t('ui.lists.size')}</th>
                  <th scope="col">{t('ui.lists.problemsColumn')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('ui.lists.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sources.map((view) => (
                  <tr
                    key={view.source.id}
                    data-source-id={view.source.id}
                    className={view.status.state === 'never-downloaded' || view.status.state === 'local-missing' ? 'row-offline' : ''}
                  >
                    <th scope="row">
                      {sourceName(language, view)}
                      <span className="source-label">{view.status.label}</span>
                      <span className="source-label">{view.source.id}</span>
                    </th>
                    <td>{sourceState(language, view)}</td>
                    <td className="nowrap">{view.status.bytes !== null ? formatBytes(language, view.status.bytes) : '—'}</td>
                    <td>
                      <SourceProblems reports={reportsOf(view.source.id)} language={language} />
                    </td>
                    <td className="nowrap">
                      {view.origin === 'environment' ? (
                        <span className="muted">{t('ui.lists.fromEnvironment')}</span>
                      ) : confirming === view.source.id ? (
                        <span className="inline-actions">
                          <button type="button" className="danger" disabled={busy || !online} onClick={() => void run(() => removeListSource(view.source.id)).then(() => setConfirming(null))}>
                            {t('ui.lists.removeConfirm')}
                          </button>
                          <button type="button" className="link-button" onClick={() => setConfirming(null)}>
                            {t('ui.lists.cancel')}
                          </button>
                        </span>
                      ) : (
                        <button type="button" className="link-button" disabled={busy || !online} aria-label={t('ui.lists.removeNamed', { id: view.source.id })} onClick={() => setConfirming(view.source.id)}>
                          <Icon name="trash" />
                          {t('ui.lists.remove')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
                {ownReports.length > 0 && (
                  <tr>
                    <th scope="row">{t('ui.lists.ownLists')}</th>
                    <td>{t('filtering.source.local')}</td>
                    <td className="nowrap">—</td>
                    <td>
                      <SourceProblems reports={ownReports} language={language} />
                    </td>
                    <td />
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </details>
      )}
      <AddListSource />
    </section>
  );
}
