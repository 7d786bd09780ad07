// First run with no lab yet: name the first lab so computers can be added to it.
import { useId, useState, type FormEvent } from 'react';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useLabs } from '../../state/labs.js';
import { consoleApi } from '../../state/session.js';

export function CreateLab() {
  const t = useText();
  const pick = useUserText();
  const id = useId();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const lab = await consoleApi().call('labs.create', { name: name.trim() });
      useLabs.getState().upsert(lab);
      useLabs.getState().select(lab.id);
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="empty-state">
      <h1>{t('ui.lab.none.title')}</h1>
      <p>{t('ui.lab.none.body')}</p>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor={id}>{t('ui.lab.nameLabel')}</label>
        <input id={id} value={name} maxLength={100} required placeholder={t('ui.lab.namePlaceholder')} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary" disabled={busy || !name.trim()}>
          {t('ui.lab.create')}
        </button>
      </form>
      {error && <p className="form-error" role="alert">{pick(error)}</p>}
    </section>
  );
}
