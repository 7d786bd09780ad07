// Starting a lesson (class name, and optionally a stricter web profile) and confirming its end.
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { endLesson, startLesson } from '../../state/actions.js';
import { useDialogs } from '../../state/dialogs.js';
import { useFiltering } from '../../state/filtering.js';
import { useLabs } from '../../state/labs.js';
import { useLanguage } from '../../state/language.js';
import { useLessons } from '../../state/lessons.js';
import { useProfiles } from '../../state/profiles.js';
import { profileLabel } from '../filtering/filter-text.js';
import { lessonProfileOptions } from '../filtering/lesson-options.js';
import { ProfileChoice } from '../filtering/ProfileChoice.js';

export function StartLessonDialog({ labId }: { labId: string }) {
  const t = useText();
  const pick = useUserText();
  const classId = useId();
  const teacherId = useId();
  const field = useRef<HTMLInputElement>(null);
  const labName = useLabs((s) => s.byId[labId]?.name ?? '');
  const [className, setClassName] = useState('');
  const [teacher, setTeacher] = useState('');
  const [profileId, setProfileId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const language = useLanguage((s) => s.language);
  const labFilter = useFiltering((s) => s.labs[labId]);
  const profiles = useProfiles((s) => s.byId);
  const baseline = labFilter ? profiles[labFilter.baselineProfileId] : undefined;
  // Only profiles that make the lesson stricter than the lab: the rest would change nothing.
  const options = useMemo(() => lessonProfileOptions(language, Object.values(profiles), baseline, null).filter((o) => !o.disabledReason), [language, profiles, baseline]);
  const close = () => useDialogs.getState().close();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!className.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await startLesson(labId, className.trim(), teacher.trim(), profileId ?? undefined);
      close();
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('ui.lesson.startTitle', { lab: labName })} onClose={close} initialFocus={field} testId="start-lesson-dialog">
      <form onSubmit={submit}>
        <label htmlFor={classId}>{t('ui.lesson.className')}</label>
        <input id={classId} ref={field} required maxLength={100} value={className} placeholder={t('ui.lesson.classPlaceholder')} onChange={(e) => setClassName(e.target.value)} />
        <label htmlFor={teacherId}>{t('ui.lesson.teacher')}</label>
        <input id={teacherId} maxLength={100} value={teacher} onChange={(e) => setTeacher(e.target.value)} />
        {baseline && options.length > 0 && (
          <>
            <ProfileChoice
              legend={t('ui.lesson.webLegend')}
              options={options}
              value={profileId}
              onChange={setProfileId}
              baselineOption={{ label: t('ui.filter.lessonBaselineOption', { profile: profileLabel(language, baseline.profile) }), hint: t('ui.filter.lessonBaselineHint') }}
            />
            {profileId !== null && <p className="hint">{t('ui.filter.revertsAtEnd')}</p>}
          </>
        )}
        <p className="hint">{t('ui.lesson.privacyHint')}</p>
        {error && (
          <p className="form-error" role="alert">
            {pick(error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={close}>
            {t('ui.dialog.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy || !className.trim()}>
            <Icon name="play" />
            {t('ui.lesson.startConfirm')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function EndLessonDialog({ labId }: { labId: string }) {
  const t = useText();
  const pick = useUserText();
  const lesson = useLessons((s) => s.activeByLab[labId]);
  const language = useLanguage((s) => s.language);
  const labFilter = useFiltering((s) => s.labs[labId]);
  const baseline = useProfiles((s) => (labFilter ? s.byId[labFilter.baselineProfileId] : undefined));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const close = () => useDialogs.getState().close();

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await endLesson(labId);
      close();
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('ui.lesson.endTitle')} onClose={close} testId="end-lesson-dialog">
      <p>{t('ui.lesson.endBody', { className: lesson?.className ?? '' })}</p>
      {labFilter?.lessonProfileId && baseline && <p>{t('ui.lesson.endRevertsFilter', { profile: profileLabel(language, baseline.profile) })}</p>}
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={close}>
          {t('ui.dialog.cancel')}
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void confirm()}>
          <Icon name="stop" />
          {t('ui.lesson.endConfirm')}
        </button>
      </div>
    </Dialog>
  );
}
