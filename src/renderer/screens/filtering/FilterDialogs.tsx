// Dialogs that change what a lab's PCs filter: the lab's baseline (IT staff) and, during a lesson,
// the lesson's own profile (teacher), which reverts to the baseline when the lesson ends.
import { useMemo, useRef, useState, type FormEvent } from 'react';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Dialog } from '../../components/Dialog.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { useDialogs } from '../../state/dialogs.js';
import { setLabBaseline, setLessonProfile } from '../../state/filtering-actions.js';
import { useFiltering } from '../../state/filtering.js';
import { useLabs } from '../../state/labs.js';
import { useLanguage } from '../../state/language.js';
import { useProfiles } from '../../state/profiles.js';
import { profileLabel, sortProfiles } from './filter-text.js';
import { lessonProfileOptions } from './lesson-options.js';
import { ProfileChoice } from './ProfileChoice.js';

function Actions({ busy, confirm, disabled }: { busy: boolean; confirm: string; disabled: boolean }) {
  const t = useText();
  return (
    <div className="dialog-actions">
      {busy && (
        <span className="muted busy-note" role="status">
          <span className="spinner" aria-hidden="true" /> {t('ui.filter.applying')}
        </span>
      )}
      <button type="button" onClick={() => useDialogs.getState().close()}>
        {t('ui.dialog.cancel')}
      </button>
      <button type="submit" className="primary" disabled={busy || disabled}>
        {confirm}
      </button>
    </div>
  );
}

export function BaselineProfileDialog({ labId }: { labId: string }) {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const labName = useLabs((s) => s.byId[labId]?.name ?? '');
  const labFilter = useFiltering((s) => s.labs[labId]);
  const byId = useProfiles((s) => s.byId);
  // Open-web profiles first; an allowlist-only baseline (an exam room) is possible but rare.
  const rows = useMemo(() => {
    const sorted = sortProfiles(Object.values(byId), language);
    return [...sorted.filter((r) => r.profile.mode === 'filtered'), ...sorted.filter((r) => r.profile.mode !== 'filtered')];
  }, [byId, language]);
  const [choice, setChoice] = useState<string | null>(labFilter?.baselineProfileId ?? null);
  const checked = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      await setLabBaseline(labId, choice);
      useDialogs.getState().close();
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('ui.filter.baselineTitle', { lab: labName })} onClose={() => useDialogs.getState().close()} className="wide" initialFocus={checked} testId="baseline-dialog">
      <form onSubmit={submit}>
        <p>{t('ui.filter.baselineIntro')}</p>
        <ProfileChoice legend={t('ui.filter.baselineLegend')} options={rows.map((row) => ({ row }))} value={choice} onChange={setChoice} checkedRef={checked} />
        <p className="hint">{t('ui.filter.baselineHint')}</p>
        {error && (
          <p className="form-error" role="alert">
            {pick(error)}
          </p>
        )}
        <Actions busy={busy} confirm={t('ui.filter.baselineConfirm')} disabled={!choice || choice === labFilter?.baselineProfileId} />
      </form>
    </Dialog>
  );
}

export function LessonProfileDialog({ labId }: { labId: string }) {
  const t = useText();
  const pick = useUserText();
  const language = useLanguage((s) => s.language);
  const labFilter = useFiltering((s) => s.labs[labId]);
  const byId = useProfiles((s) => s.byId);
  const baseline = labFilter ? byId[labFilter.baselineProfileId] : undefined;
  const current = labFilter?.lessonProfileId ?? null;
  const options = useMemo(() => lessonProfileOptions(language, Object.values(byId), baseline, current), [language, byId, baseline, current]);
  const [choice, setChoice] = useState<string | null>(current);
  const checked = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const baselineName = baseline ? profileLabel(language, baseline.profile) : '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await setLessonProfile(labId, choice);
      useDialogs.getState().close();
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('ui.filter.lessonTitle')} onClose={() => useDialogs.getState().close()} className="wide" initialFocus={checked} testId="lesson-profile-dialog">
      <form onSubmit={submit}>
        <ProfileChoice
          legend={t('ui.filter.lessonLegend')}
          options={options}
          value={choice}
          onChange={setChoice}
          checkedRef={checked}
          baselineOption={{ label: t('ui.filter.lessonBaselineOption', { profile: baselineName }), hint: t('ui.filter.lessonBaselineHint') }}
        />
        <p className="hint">{t('ui.filter.revertsAtEnd')}</p>
        {error && (
          <p className="form-error" role="alert">
            {pick(error)}
          </p>
        )}
        <Actions busy={busy} confirm={t('ui.filter.lessonConfirm')} disabled={choice === current} />
      </form>
    </Dialog>
  );
}
