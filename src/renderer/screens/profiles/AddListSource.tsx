// Adding a block list for IT staff: a UT1 category from the Internet, a UT1 copy on this PC (folder
// or .tar.gz), any list on the web, or a list file on this PC. What can be checked here is checked
// at once with a clear message; the console checks the rest (the path exists, the list is not
// configured twice) and compiles the lists again, after which the list's report shows in the table.
import { useId, useState } from 'react';
import { newListSourceId, ut1CopyType } from '../../../shared/api/list-source-id.js';
import { categoryNamePattern } from '../../../shared/filtering/blob-format.js';
import type { ListSourceInput } from '../../../shared/filtering/list-sources.js';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { addListSource } from '../../state/filtering-actions.js';
import { useFiltering } from '../../state/filtering.js';
import { useLanguage } from '../../state/language.js';
import { bilingual } from '../../../shared/i18n/index.js';
import { categoryLabel } from '../filtering/filter-text.js';

type Choice = 'ut1-category' | 'ut1-copy' | 'url' | 'file';
const choices: readonly Choice[] = ['ut1-category', 'ut1-copy', 'url', 'file'];
const kinds = ['block', 'allow'] as const;
const formats = ['auto', 'domains', 'hosts', 'adblock'] as const;

interface Draft {
  choice: Choice;
  category: string;
  url: string;
  path: string;
  categories: string;
  kind: (typeof kinds)[number];
  format: (typeof formats)[number];
}

const emptyDraft: Draft = { choice: 'ut1-category', category: '', url: '', path: '', categories: '', kind: 'block', format: 'auto' };

const httpUrl = /^https?:\/\/[^\s/]+/i;
/** A full path on the console PC: /… (Linux) or C:\… / \\server\… (Windows). */
const fullPath = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/** The source to send, or the first thing wrong with the draft (an i18n key under ui.lists.add.error). */
export function sourceFromDraft(draft: Draft, takenIds: readonly string[]): { source: ListSourceInput } | { error: string } {
  const category = draft.category.trim();
  const url = draft.url.trim();
  const path = draft.path.trim();
  const needsCategory = draft.choice !== 'ut1-copy';
  if (needsCategory && !categoryNamePattern.test(category)) return { error: 'category' };
  if ((draft.choice === 'url' || (draft.choice === 'ut1-category' && url !== '')) && !httpUrl.test(url)) return { error: 'url' };
  if ((draft.choice === 'ut1-copy' || draft.choice === 'file') && !fullPath.test(path)) return { error: 'path' };
  const only = draft.categories
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (only.some((c) => !categoryNamePattern.test(c))) return { error: 'categories' };
  let source: ListSourceInput;
  switch (draft.choice) {
    case 'ut1-category':
      source = { type: 'ut1-category', id: '', category, ...(url ? { url } : {}) };
      break;
    case 'ut1-copy':
      source = { type: ut1CopyType(path), id: '', path, ...(only.length > 0 ? { categories: only } : {}) };
      break;
    case 'url':
      source = { type: 'url', id: '', url, category, kind: draft.kind, format: draft.format };
      break;
    case 'file':
      source = { type: 'file', id: '', path, category, kind: draft.kind, format: draft.format };
      break;
  }
  source.id = newListSourceId({ type: source.type, category, path }, takenIds);
  return { source };
}

export function AddListSource() {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const online = useConnection((s) => s.status === 'online');
  const sources = useFiltering((s) => s.sources);
  const ids = useId();
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const [added, setAdded] = useState<string | null>(null);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setAdded(null);
    const made = sourceFromDraft(draft, sources.map((s) => s.source.id));
    if ('error' in made) {
      setError(bilingual(`ui.lists.add.error.${made.error}`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await addListSource(made.source);
      setAdded(made.source.id);
      setDraft({ ...emptyDraft, choice: draft.choice });
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }

  const c = draft.choice;
  const known = categoryNamePattern.test(draft.category.trim()) ? categoryLabel(language, draft.category.trim()) : null;
  return (
    <form className="add-source" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`} data-testid="add-list-source" noValidate>
      <h3 id={`${ids}-title`}>{t('ui.lists.add.title')}</h3>
      <fieldset className="mode-choice">
        <legend>{t('ui.lists.add.type')}</legend>
        {choices.map((choice) => (
          <label className="choice" key={choice}>
            <input type="radio" name={`${ids}-type`} value={choice} checked={c === choice} onChange={() => set('choice', choice)} />
            <span className="choice-text">
              <span className="choice-title">{t(`ui.lists.add.type.${choice}`)}</span>
              <span className="choice-hint">{t(`ui.lists.add.type.${choice}.hint`)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="form-row">
        {c !== 'ut1-copy' && (
          <div>
            <label htmlFor={`${ids}-category`}>{t(c === 'ut1-category' ? 'ui.lists.add.ut1Category' : 'ui.lists.add.category')}</label>
            <input id={`${ids}-category`} value={draft.category} spellCheck={false} autoCapitalize="off" onChange={(e) => set('category', e.target.value)} />
            <p className="hint">{known && known !== draft.category.trim() ? known : t('ui.lists.add.categoryHint')}</p>
          </div>
        )}
        {(c === 'url' || c === 'ut1-category') && (
          <div>
            <label htmlFor={`${ids}-url`}>{t(c === 'url' ? 'ui.lists.add.url' : 'ui.lists.add.mirror')}</label>
            <input id={`${ids}-url`} type="url" value={draft.url} spellCheck={false} placeholder="https://" onChange={(e) => set('url', e.target.value)} />
          </div>
        )}
        {(c === 'ut1-copy' || c === 'file') && (
          <div>
            <label htmlFor={`${ids}-path`}>{t('ui.lists.add.path')}</label>
            <input id={`${ids}-path`} value={draft.path} spellCheck={false} placeholder={c === 'file' ? '/home/…/list.txt' : '/srv/ut1/blacklists'} onChange={(e) => set('path', e.target.value)} />
          </div>
        )}
        {c === 'ut1-copy' && (
          <div>
            <label htmlFor={`${ids}-categories`}>{t('ui.lists.add.categories')}</label>
            <input id={`${ids}-categories`} value={draft.categories} spellCheck={false} placeholder="adult, gambling" onChange={(e) => set('categories', e.target.value)} />
          </div>
        )}
        {(c === 'url' || c === 'file') && (
          <>
            <div>
              <label htmlFor={`${ids}-kind`}>{t('ui.lists.add.kind')}</label>
              <select id={`${ids}-kind`} value={draft.kind} onChange={(e) => set('kind', e.target.value as Draft['kind'])}>
                {kinds.map((k) => (
                  <option key={k} value={k}>
                    {t(`ui.lists.add.kind.${k}`)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor={`${ids}-format`}>{t('ui.lists.add.format')}</label>
              <select id={`${ids}-format`} value={draft.format} onChange={(e) => set('format', e.target.value as Draft['format'])}>
                {formats.map((f) => (
                  <option key={f} value={f}>
                    {t(`ui.lists.add.format.${f}`)}
                  </option>
                ))}
              </select>
            </div>
          </>
        )}
      </div>
      <div className="inline-actions">
        <button type="submit" disabled={busy || !online}>
          <Icon name="plus" />
          {t('ui.lists.add.submit')}
        </button>
        {busy && (
          <span className="muted" role="status">
            <span className="spinner" aria-hidden="true" /> {t('ui.lists.add.adding')}
          </span>
        )}
        {added && !busy && (
          <span role="status" data-testid="list-source-added">
            {t('ui.lists.add.added', { id: added })}
          </span>
        )}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
    </form>
  );
}
