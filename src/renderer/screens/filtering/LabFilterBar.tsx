// The lab's web filtering at a glance: its baseline profile (IT staff may change it), during a
// lesson the lesson's own profile with a one-press "lesson sites only" and the way back, how many
// PCs enforce it, and what is not being filtered (lists not downloaded, PCs without a filter, PCs
// whose filter programs can go round, PCs whose DNS setting was changed behind the filter).
import { useMemo, useState } from 'react';
import type { Lab, Lesson, Machine } from '../../../shared/api/contract.js';
import { toConsoleError } from '../../api/console-error.js';
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { useDialogs } from '../../state/dialogs.js';
import { setLessonProfile } from '../../state/filtering-actions.js';
import { useFiltering } from '../../state/filtering.js';
import { useLanguage } from '../../state/language.js';
import { useNotices } from '../../state/notices.js';
import { useProfiles } from '../../state/profiles.js';
import {
  categoryLabel,
  isFilterBypassable,
  isFilterProblem,
  lessonAllowlistProfileId,
  listSome,
  listsNotice,
  machineFilterReason,
  machineFilterWarning,
  profileLabel,
} from './filter-text.js';
import { ListsNotice } from './ListsNotice.js';

export function LabFilterBar({ lab, lesson, machines }: { lab: Lab; lesson: Lesson | null; machines: Machine[] }) {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const online = useConnection((s) => s.status === 'online');
  const loaded = useFiltering((s) => s.loaded);
  const loadError = useFiltering((s) => s.error);
  const labFilter = useFiltering((s) => s.labs[lab.id]);
  const statuses = useFiltering((s) => s.machines);
  const sources = useFiltering((s) => s.sources);
  const profiles = useProfiles((s) => s.byId);
  const [switching, setSwitching] = useState(false);

  const counts = useMemo(() => {
    let applied = 0;
    let onlineCount = 0;
    let applying = 0;
    // PCs not filtering, grouped by why: "PC-02, PC-05 — no DNS listener", "PC-03 — could not start".
    const problems = new Map<string, string[]>();
    // PCs that filter but that programs can go round, grouped by why: never counted as "not filtering".
    const bypassable = new Map<string, string[]>();
    const drifted: string[] = [];
    for (const m of machines) {
      const status = statuses[m.id];
      if (!status || status.state === 'offline') continue;
      onlineCount++;
      if (status.state === 'applied') applied++;
      else if (status.state === 'pending' || status.state === 'sending') applying++;
      if (isFilterProblem(status)) {
        const reason = machineFilterReason(language, status) ?? '';
        problems.set(reason, [...(problems.get(reason) ?? []), m.name]);
      } else if (isFilterBypassable(status)) {
        const warning = machineFilterWarning(language, status) ?? '';
        bypassable.set(warning, [...(bypassable.get(warning) ?? []), m.name]);
      }
      if (!isFilterProblem(status) && status.resolverDrift && status.resolverDrift.count > 0) {
        drifted.push(t('ui.filter.resolverDriftCount', { name: m.name, count: status.resolverDrift.count }));
      }
    }
    return { applied, online: onlineCount, applying, problems, bypassable, drifted };
  }, [machines, statuses, language, t]);

  if (!loaded || !labFilter) {
    if (!loadError) return null;
    return (
      <section className="filter-bar" aria-label={t('ui.filter.label')} data-testid="filter-bar">
        <Icon name="shield" />
        <span className="muted">
          {t('ui.filter.loadFailed')} {pick(loadError)}
        </span>
      </section>
    );
  }

  const baselineRow = profiles[labFilter.baselineProfileId];
  const baselineName = baselineRow ? profileLabel(language, baselineRow.profile) : labFilter.baselineProfileId;
  const lessonRow = labFilter.lessonProfileId ? profiles[labFilter.lessonProfileId] : undefined;
  const lessonName = lessonRow ? profileLabel(language, lessonRow.profile) : (labFilter.lessonProfileId ?? '');
  const restricted = lesson !== null && labFilter.lessonProfileId !== null;
  const allowlistOnly = labFilter.effective.mode === 'allowlist-only';
  const notice = listsNotice(sources);
  // With no third-party list at all the notice says it; otherwise name what is missing.
  const missing = notice?.kind === 'none' ? [] : labFilter.missingCategories.map((c) => categoryLabel(language, c));

  async function switchTo(profileId: string | null) {
    setSwitching(true);
    try {
      await setLessonProfile(lab.id, profileId);
    } catch (e) {
      useNotices.getState().show(toConsoleError(e).text);
    } finally {
      setSwitching(false);
    }
  }

  return (
    <section className={`filter-bar ${restricted ? 'restricted' : ''}`} aria-label={t('ui.filter.label')} data-testid="filter-bar">
      <Icon name="shield" size={22} />
      <div className="filter-main">
        <p className="filter-line">
          <span className="filter-key">{t('ui.filter.baseline')}</span>
          <strong data-testid="baseline-profile">{baselineName}</strong>
          {labFilter.baselineIsDefault && <span className="tag">{t('ui.filter.default')}</span>}
          <button type="button" className="link-button" disabled={!online} onClick={() => useDialogs.getState().show({ kind: 'baselineProfile', labId: lab.id })}>
            {t('ui.filter.changeBaseline')}
          </button>
        </p>
        {lesson && (
          <div className="filter-line lesson-line">
            <span className="filter-key">{t('ui.filter.inLesson')}</span>
            <strong data-testid="lesson-filter">{restricted ? lessonName : t('ui.filter.lessonUsesBaseline')}</strong>
            {restricted && <span className="filter-revert">{t('ui.filter.revertsAtEnd')}</span>}
            <span className="filter-actions">
              {switching && <span className="spinner" role="status" aria-label={t('ui.filter.applying')} />}
              {labFilter.lessonProfileId !== lessonAllowlistProfileId && profiles[lessonAllowlistProfileId] && (
                <button type="button" disabled={!online || switching} onClick={() => void switchTo(lessonAllowlistProfileId)}>
                  <Icon name="shield" />
                  {t('ui.filter.lessonSitesOnly')}
                </button>
              )}
              {restricted && (
                <button type="button" disabled={!online || switching} onClick={() => void switchTo(null)}>
                  <Icon name="back" />
                  {t('ui.filter.backToBaseline')}
                </button>
              )}
              <button type="button" className="link-button" disabled={!online || switching} onClick={() => useDialogs.getState().show({ kind: 'lessonProfile', labId: lab.id })}>
                {t('ui.filter.otherProfile')}
              </button>
            </span>
          </div>
        )}
        <p className="filter-line muted" data-testid="filter-applied">
          {[
            allowlistOnly ? t('ui.filter.effectiveAllowlist') : t('ui.filter.effectiveFiltered'),
            labFilter.effective.safeSearch ? t('ui.filter.safeSearchOn') : null,
            counts.online > 0 ? t('ui.filter.appliedOn', { applied: counts.applied, online: counts.online }) : null,
            counts.applying > 0 ? t('ui.filter.applyingOn', { count: counts.applying }) : null,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
        {counts.problems.size > 0 && (
          <div data-testid="filter-problems">
            {[...counts.problems].map(([reason, names]) => (
              <p className="filter-line warn-text" key={reason}>
                <Icon name="warning" size={16} />
                <span>
                  {t('ui.filter.notFilteringOn', { names: listSome(language, names, 'machines') })}
                  {reason ? ` — ${reason}` : ''}
                </span>
              </p>
            ))}
          </div>
        )}
        {counts.bypassable.size > 0 && (
          <div data-testid="filter-bypassable">
            {[...counts.bypassable].map(([warning, names]) => (
              <p className="filter-line warn-text" key={warning}>
                <Icon name="warning" size={16} />
                <span>
                  {t('ui.filter.bypassableOn', { names: listSome(language, names, 'machines') })}
                  {warning ? ` — ${warning}` : ''}
                </span>
              </p>
            ))}
          </div>
        )}
        {counts.drifted.length > 0 && (
          <p className="filter-line warn-text" data-testid="filter-resolver-drift">
            <Icon name="warning" size={16} />
            <span>{t('ui.filter.resolverDrift', { names: listSome(language, counts.drifted, 'machines') })}</span>
          </p>
        )}
        {missing.length > 0 && (
          <p className="filter-line warn-text">
            <Icon name="warning" size={16} />
            <span>{t('ui.filter.missingCategories', { categories: listSome(language, missing) })}</span>
          </p>
        )}
        <ListsNotice />
      </div>
    </section>
  );
}
