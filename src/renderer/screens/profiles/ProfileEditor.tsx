// Edits one profile: mode, blocked and allowed categories (the always-blocked ones shown ticked and
// locked), extra names to block or allow, SafeSearch, YouTube, how blocks are answered. Saved
// through the console, which re-pushes every lab that uses it.
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { ProfileRow } from '../../../shared/api/contract.js';
import { bilingual, translate, type Language } from '../../../shared/i18n/index.js';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { createProfile, removeProfile, saveProfile } from '../../state/filtering-actions.js';
import { useFiltering } from '../../state/filtering.js';
import { useLanguage } from '../../state/language.js';
import { useProfiles } from '../../state/profiles.js';
import { ageBandLabel, categoryLabel, listsNotice, profileLabel } from '../filtering/filter-text.js';
import {
  ageBandChoices,
  allowCategoryChoices,
  blockCategoryChoices,
  blockResponseChoices,
  bodyOf,
  compiledCategories,
  maxProfileNameChars,
  youtubeChoices,
  type NameLineProblem,
  type ProfileDraft,
} from './profile-form.js';

const youtubeKeys = { strict: 'ui.profiles.youtube.strict', moderate: 'ui.profiles.youtube.moderate', off: 'ui.profiles.youtube.off' } as const;
const blockResponseKeys = { 'null-ip': 'ui.profiles.blockResponse.nullIp', nxdomain: 'ui.profiles.blockResponse.nxdomain' } as const;

function byLabel(language: Language) {
  return (a: string, b: string) => categoryLabel(language, a).localeCompare(categoryLabel(language, b), language, { sensitivity: 'base' });
}

function CategoryBoxes({
  names,
  checked,
  locked,
  compiled,
  onToggle,
}: {
  names: string[];
  checked: ReadonlySet<string>;
  locked: ReadonlySet<string>;
  compiled: ReadonlySet<string> | null;
  onToggle(name: string): void;
}) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  return (
    <ul className="category-grid">
      {names.map((name) => {
        const isLocked = locked.has(name);
        const notLoaded = compiled !== null && !compiled.has(name);
        return (
          <li key={name}>
            <label className={`category ${isLocked ? 'locked' : ''}`}>
              <input type="checkbox" checked={isLocked || checked.has(name)} disabled={isLocked} onChange={() => onToggle(name)} data-category={name} />
              <span>
                {categoryLabel(language, name)}
                {notLoaded && <span className="category-note">{t('ui.profiles.notDownloaded')}</span>}
              </span>
            </label>
          </li>
        );
      })}
    </ul>
  );
}

function problemText(language: Language, problem: NameLineProblem): string {
  const field = translate(language, problem.field === 'extraBlock' ? 'ui.profiles.extraBlock' : 'ui.profiles.extraAllow');
  if (problem.line === 0) return `${field}: ${translate(language, problem.reasonKey)}`;
  return translate(language, 'ui.profiles.lineProblem', { field, line: problem.line, text: problem.text, reason: translate(language, problem.reasonKey) });
}

export interface ProfileEditorProps {
  row: ProfileRow;
  draft: ProfileDraft;
  dirty: boolean;
  onDraft(draft: ProfileDraft): void;
  /**
   * After a save, discard, copy or removal: the draft of this profile is no longer needed. `select`:
   * stay (undefined), show another profile (its id), or the first one (null, after removal).
   */
  onDone(message: UserText | null, select?: string | null): void;
  savedMessage: UserText | null;
  usedBy: string[];
}

export function ProfileEditor({ row, draft, dirty, onDraft, onDone, savedMessage, usedBy }: ProfileEditorProps) {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const online = useConnection((s) => s.status === 'online');
  const alwaysBlocked = useProfiles((s) => s.alwaysBlocked);
  const list = useFiltering((s) => s.lists?.current ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const [problems, setProblems] = useState<{ nameMissing: boolean; lines: NameLineProblem[] } | null>(null);
  const ids = { name: useId(), band: useId(), block: useId(), allow: useId(), youtube: useId(), response: useId(), mode: useId() };

  const locked = useMemo(() => new Set(alwaysBlocked), [alwaysBlocked]);
  const sources = useFiltering((s) => s.sources);
  // With no third-party list at all the notice above says so once, instead of on every category.
  const noThirdParty = listsNotice(sources)?.kind === 'none';
  const compiled = useMemo(() => (noThirdParty ? null : compiledCategories(list)), [list, noThirdParty]);
  const blockedSet = useMemo(() => new Set(draft.blocked), [draft.blocked]);
  const allowSet = useMemo(() => new Set(draft.allow), [draft.allow]);
  const blockNames = useMemo(() => {
    const all = blockCategoryChoices(list, row.profile.blockedCategories);
    return { always: [...alwaysBlocked].sort(byLabel(language)), others: all.filter((c) => !locked.has(c)).sort(byLabel(language)) };
  }, [list, row.profile.blockedCategories, alwaysBlocked, locked, language]);
  const allowNames = useMemo(() => allowCategoryChoices(list, row.profile.allowCategories).sort(byLabel(language)), [list, row.profile.allowCategories, language]);

  const set = <K extends keyof ProfileDraft>(key: K, value: ProfileDraft[K]) => onDraft({ ...draft, [key]: value });
  const toggle = (key: 'blocked' | 'allow', name: string) => {
    const current = new Set(draft[key]);
    if (current.has(name)) current.delete(name);
    else current.add(name);
    set(key, [...current].sort());
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    const check = bodyOf(draft, alwaysBlocked);
    if (!check.ok) {
      setProblems({ nameMissing: check.nameMissing, lines: check.problems });
      return;
    }
    setProblems(null);
    setBusy(true);
    setError(null);
    try {
      await saveProfile(row.profile.id, check.body);
      onDone(bilingual('ui.profiles.saved'));
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    const check = bodyOf(draft, alwaysBlocked);
    if (!check.ok) {
      setProblems({ nameMissing: check.nameMissing, lines: check.problems });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const name = translate(language, 'ui.profiles.copyName', { name: profileLabel(language, row.profile) }).slice(0, maxProfileNameChars);
      const created = await createProfile({ ...check.body, name });
      onDone(bilingual('ui.profiles.copied'), created.profile.id);
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await removeProfile(row.profile.id);
      onDone(null, null);
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <form className="profile-editor" onSubmit={save} aria-labelledby={`${ids.name}-title`} data-testid="profile-editor">
      <div className="editor-head">
        <h2 id={`${ids.name}-title`}>{profileLabel(language, row.profile)}</h2>
        {row.builtIn && <span className="tag">{t('ui.profiles.builtIn')}</span>}
        {dirty && <span className="tag warn-tag">{t('ui.profiles.unsaved')}</span>}
      </div>
      <p className="muted">
        {usedBy.length > 0 ? t('ui.profiles.usedBy', { labs: usedBy.join(', ') }) : t('ui.profiles.unused')}
      </p>

      <div className="form-row">
        <div>
          <label htmlFor={ids.name}>{t('ui.profiles.name')}</label>
          <input id={ids.name} value={draft.name} maxLength={maxProfileNameChars} required onChange={(e) => set('name', e.target.value)} />
        </div>
        <div>
          <label htmlFor={ids.band}>{t('ui.profiles.ageBand')}</label>
          <select id={ids.band} value={draft.ageBand} onChange={(e) => set('ageBand', e.target.value as ProfileDraft['ageBand'])}>
            {ageBandChoices.map((band) => (
              <option key={band} value={band}>
                {ageBandLabel(language, band)}
              </option>
            ))}
          </select>
        </div>
      </div>

      <fieldset className="mode-choice">
        <legend>{t('ui.profiles.mode')}</legend>
        <label className="choice">
          <input type="radio" name={ids.mode} checked={draft.mode === 'filtered'} onChange={() => set('mode', 'filtered')} />
          <span className="choice-text">
            <span className="choice-title">{t('ui.profiles.mode.filtered')}</span>
            <span className="choice-hint">{t('ui.profiles.mode.filteredHint')}</span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name={ids.mode} checked={draft.mode === 'allowlist-only'} onChange={() => set('mode', 'allowlist-only')} />
          <span className="choice-text">
            <span className="choice-title">{t('ui.filter.mode.allowlistOnly')}</span>
            <span className="choice-hint">{t('ui.profiles.mode.allowlistHint')}</span>
          </span>
        </label>
      </fieldset>

      <fieldset className="categories">
        <legend>{t('ui.profiles.blockedCategories')}</legend>
        {draft.mode === 'allowlist-only' && <p className="hint">{t('ui.profiles.blockedInAllowlistMode')}</p>}
        <h3 className="category-group">{t('ui.profiles.alwaysBlocked')}</h3>
        <p className="hint">{t('ui.profiles.alwaysBlockedHint')}</p>
        <CategoryBoxes names={blockNames.always} checked={blockedSet} locked={locked} compiled={compiled} onToggle={() => undefined} />
        <h3 className="category-group">{t('ui.profiles.otherCategories')}</h3>
        <CategoryBoxes names={blockNames.others} checked={blockedSet} locked={new Set()} compiled={compiled} onToggle={(name) => toggle('blocked', name)} />
      </fieldset>

      <fieldset className="categories">
        <legend>{t('ui.profiles.allowCategories')}</legend>
        <p className="hint">{t('ui.profiles.allowCategoriesHint')}</p>
        <CategoryBoxes names={allowNames} checked={allowSet} locked={new Set()} compiled={compiled} onToggle={(name) => toggle('allow', name)} />
      </fieldset>

      <div className="form-row">
        <div>
          <label htmlFor={ids.block}>{t('ui.profiles.extraBlock')}</label>
          <textarea id={ids.block} rows={5} spellCheck={false} value={draft.extraBlock} aria-describedby={`${ids.block}-hint`} onChange={(e) => set('extraBlock', e.target.value)} />
          <p className="hint" id={`${ids.block}-hint`}>
            {t('ui.profiles.namesHint')}
          </p>
        </div>
        <div>
          <label htmlFor={ids.allow}>{t('ui.profiles.extraAllow')}</label>
          <textarea id={ids.allow} rows={5} spellCheck={false} value={draft.extraAllow} aria-describedby={`${ids.allow}-hint`} onChange={(e) => set('extraAllow', e.target.value)} />
          <p className="hint" id={`${ids.allow}-hint`}>
            {t('ui.profiles.allowHint')}
          </p>
        </div>
      </div>

      <div className="form-row">
        <div>
          <label className="check-line">
            <input type="checkbox" checked={draft.safeSearch} onChange={(e) => set('safeSearch', e.target.checked)} />
            <span>
              <strong>{t('ui.profiles.safeSearch')}</strong>
              <span className="choice-hint">{t('ui.profiles.safeSearchHint')}</span>
            </span>
          </label>
        </div>
        <div>
          <label htmlFor={ids.youtube}>{t('ui.profiles.youtube')}</label>
          <select id={ids.youtube} value={draft.youtube} onChange={(e) => set('youtube', e.target.value as ProfileDraft['youtube'])}>
            {youtubeChoices.map((mode) => (
              <option key={mode} value={mode}>
                {t(youtubeKeys[mode])}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.response}>{t('ui.profiles.blockResponse')}</label>
          <select id={ids.response} value={draft.blockResponse} onChange={(e) => set('blockResponse', e.target.value as ProfileDraft['blockResponse'])}>
            {blockResponseChoices.map((mode) => (
              <option key={mode} value={mode}>
                {t(blockResponseKeys[mode])}
              </option>
            ))}
          </select>
        </div>
      </div>

      {problems && (
        <div className="form-error" role="alert" data-testid="profile-problems">
          <p>{t('ui.profiles.fixFirst')}</p>
          <ul>
            {problems.nameMissing && <li>{t('ui.profiles.nameMissing')}</li>}
            {problems.lines.map((p, i) => (
              <li key={i}>{problemText(language, p)}</li>
            ))}
          </ul>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      <div className="editor-actions">
        {!dirty && savedMessage && (
          <span className="saved-note" role="status">
            {pick(savedMessage)}
          </span>
        )}
        {busy && <span className="spinner" aria-hidden="true" />}
        {!row.builtIn && (
          <button type="button" className="danger-quiet" disabled={busy || !online || usedBy.length > 0} title={usedBy.length > 0 ? t('ui.profiles.removeInUse') : undefined} onClick={() => void remove()}>
            <Icon name="trash" />
            {t('ui.profiles.remove')}
          </button>
        )}
        <button type="button" disabled={busy || !online} onClick={() => void copy()}>
          <Icon name="copy" />
          {t('ui.profiles.copy')}
        </button>
        <button type="button" disabled={busy || !dirty} onClick={() => onDone(null)}>
          {t('ui.profiles.discard')}
        </button>
        <button type="submit" className="primary" disabled={busy || !online || !dirty}>
          {t('ui.profiles.save')}
        </button>
      </div>
    </form>
  );
}
