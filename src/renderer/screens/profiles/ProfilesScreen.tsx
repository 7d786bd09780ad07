// Web filtering for IT staff: the profiles (presets per age band and their own), one edited at a
// time, and the block lists behind them (first: without them most categories are not blocked). Edits in progress are kept per profile while browsing.
import { useMemo, useState } from 'react';
import type { UserText } from '../../api/console-error.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useFiltering } from '../../state/filtering.js';
import { useLabs } from '../../state/labs.js';
import { useLanguage } from '../../state/language.js';
import { useProfiles } from '../../state/profiles.js';
import { ageBandLabel, profileLabel, sortProfiles } from '../filtering/filter-text.js';
import { ListSources } from './ListSources.js';
import { draftOf, sameDraft, type ProfileDraft } from './profile-form.js';
import { ProfileEditor } from './ProfileEditor.js';

export function ProfilesScreen() {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const loaded = useProfiles((s) => s.loaded);
  const byId = useProfiles((s) => s.byId);
  const loadError = useFiltering((s) => s.error);
  const labFilters = useFiltering((s) => s.labs);
  const labs = useLabs((s) => s.byId);
  const rows = useMemo(() => sortProfiles(Object.values(byId), language), [byId, language]);
  const [selected, setSelected] = useState<string | null>(null);
  const [drafts, setDrafts] = useState<Record<string, ProfileDraft>>({});
  const [messages, setMessages] = useState<Record<string, UserText>>({});

  const row = (selected && byId[selected]) || rows[0];
  const usedBy = (profileId: string): string[] => {
    const names: string[] = [];
    for (const lab of Object.values(labFilters)) {
      const name = labs[lab.labId]?.name ?? lab.labId;
      if (lab.baselineProfileId === profileId) names.push(name);
      else if (lab.lessonProfileId === profileId) names.push(t('ui.profiles.inLessonOf', { lab: name }));
    }
    return names;
  };

  if (!loaded) {
    return (
      <section className="state-page" role="status">
        {loadError ? (
          <p>
            {t('ui.filter.loadFailed')} {pick(loadError)}
          </p>
        ) : (
          <>
            <span className="spinner large" aria-hidden="true" />
            <p>{t('ui.profiles.loading')}</p>
          </>
        )}
      </section>
    );
  }

  const saved = row ? draftOf(row.profile) : null;
  const draft = row ? (drafts[row.profile.id] ?? saved!) : null;
  const dirty = !!(draft && saved && !sameDraft(draft, saved));

  return (
    <div className="profiles-screen" data-testid="profiles-screen">
      <div className="screen-head">
        <h1>{t('ui.profiles.title')}</h1>
        <p className="muted">{t('ui.profiles.intro')}</p>
      </div>
      <ListSources />
      <div className="profiles-layout">
        <nav className="profile-list" aria-label={t('ui.profiles.listLabel')}>
          <ul>
            {rows.map((r) => {
              const id = r.profile.id;
              const edited = !!drafts[id] && !sameDraft(drafts[id], draftOf(r.profile));
              return (
                <li key={id}>
                  <button type="button" className={`profile-item ${row?.profile.id === id ? 'current' : ''}`} aria-current={row?.profile.id === id ? 'true' : undefined} onClick={() => setSelected(id)}>
                    <span className="profile-item-name">
                      {profileLabel(language, r.profile)}
                      {edited && <span className="tag warn-tag">{t('ui.profiles.unsaved')}</span>}
                    </span>
                    <span className="profile-item-meta">
                      {[
                        r.profile.ageBand !== 'custom' ? ageBandLabel(language, r.profile.ageBand) : null,
                        r.profile.mode === 'allowlist-only' ? t('ui.filter.mode.allowlistOnly') : t('ui.profiles.categoryCount', { count: r.profile.blockedCategories.length }),
                      ]
                        .filter(Boolean)
                        .join(' · ')}
                    </span>
                    {usedBy(id).length > 0 && <span className="profile-item-meta">{t('ui.profiles.usedBy', { labs: usedBy(id).join(', ') })}</span>}
                  </button>
                </li>
              );
            })}
          </ul>
        </nav>
        {row && draft && (
          <ProfileEditor
            key={row.profile.id}
            row={row}
            draft={draft}
            dirty={dirty}
            usedBy={usedBy(row.profile.id)}
            savedMessage={messages[row.profile.id] ?? null}
            onDraft={(next) => setDrafts((d) => ({ ...d, [row.profile.id]: next }))}
            onDone={(message, select) => {
              const id = row.profile.id;
              setDrafts((d) => {
                const rest = { ...d };
                delete rest[id];
                return rest;
              });
              const target = select === undefined ? id : select;
              setMessages((m) => {
                const rest = { ...m };
                delete rest[id];
                if (message && target) rest[target] = message;
                return rest;
              });
              if (select !== undefined) setSelected(select);
            }}
          />
        )}
      </div>
    </div>
  );
}
