// Blocked web attempts of the running lesson, live: the total, how many per PC, and the latest
// ones (time, PC, site, category). Site names and categories only: no page content exists here.
import { useId, useMemo } from 'react';
import type { Lesson, Machine } from '../../../shared/api/contract.js';
import { Icon } from '../../components/Icon.js';
import { compareMachineNames } from '../../state/machines.js';
import { formatClock } from '../../format/format.js';
import { useText } from '../../i18n/use-text.js';
import { useBlocked } from '../../state/blocked.js';
import { useLanguage } from '../../state/language.js';
import { useMachines } from '../../state/machines.js';
import { categoryLabel } from './filter-text.js';

export function BlockedPanel({ lesson }: { lesson: Lesson }) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const headingId = useId();
  const record = useBlocked((s) => s.byLesson[lesson.id]);
  const machinesById = useMachines((s) => s.byId);
  const total = record?.total ?? 0;

  const perMachine = useMemo(() => {
    const rows: { machine: Machine | undefined; machineId: string; count: number }[] = Object.entries(record?.byMachine ?? {}).map(([machineId, count]) => ({
      machineId,
      count,
      machine: machinesById[machineId],
    }));
    return rows.sort((a, b) => b.count - a.count || (a.machine && b.machine ? compareMachineNames(a.machine, b.machine) : a.machineId.localeCompare(b.machineId)));
  }, [record, machinesById]);

  const nameOf = (machineId: string) => machinesById[machineId]?.name ?? t('ui.blocked.unknownMachine');

  return (
    <section className="blocked-panel" aria-labelledby={headingId} data-testid="blocked-panel">
      <div className="blocked-head">
        <h2 id={headingId}>{t('ui.blocked.title')}</h2>
        <span className={`blocked-total ${total > 0 ? 'some' : ''}`} role="status" data-testid="blocked-total">
          {t('ui.blocked.total', { count: total })}
        </span>
      </div>
      <p className="blocked-note">
        <Icon name="lock" size={14} />
        {t('ui.blocked.confidential')}
      </p>
      {record && !record.loaded && <p className="hint">{t('ui.blocked.loading')}</p>}
      {total === 0 ? (
        <p className="muted">{t('ui.blocked.none')}</p>
      ) : (
        <>
          <h3 className="blocked-sub">{t('ui.blocked.perMachine')}</h3>
          <ul className="blocked-machines" data-testid="blocked-per-machine">
            {perMachine.map((row) => (
              <li key={row.machineId}>
                <span>{row.machine?.name ?? t('ui.blocked.unknownMachine')}</span>
                <strong>{row.count}</strong>
              </li>
            ))}
          </ul>
          <h3 className="blocked-sub">{t('ui.blocked.latest')}</h3>
          <div className="blocked-table-wrap" tabIndex={0} role="region" aria-label={t('ui.blocked.latest')}>
            <table className="data-table blocked-table" data-testid="blocked-list">
              <thead>
                <tr>
                  <th scope="col">{t('ui.blocked.time')}</th>
                  <th scope="col">{t('ui.blocked.machine')}</th>
                  <th scope="col">{t('ui.blocked.siteAndCategory')}</th>
                </tr>
              </thead>
              <tbody>
                {record?.recent.map((a) => (
                  <tr key={a.seq}>
                    <td className="nowrap">{formatClock(language, a.at)}</td>
                    <td className="nowrap">{nameOf(a.machineId)}</td>
                    <td>
                      <span className="site-name">{a.name}</span>
                      <span className="site-category">{categoryLabel(language, a.category)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {total > (record?.recent.length ?? 0) && <p className="hint">{t('ui.blocked.showingLatest', { shown: record?.recent.length ?? 0, total })}</p>}
        </>
      )}
    </section>
  );
}
