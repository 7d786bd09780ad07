// Lesson state of the lab: not running (start it) or running with live screens (end it).
import { useMemo } from 'react';
import type { Lab, Lesson, Machine } from '../../../shared/api/contract.js';
import { Icon } from '../../components/Icon.js';
import { useNow } from '../../components/use-now.js';
import { formatNumber, formatTime } from '../../format/format.js';
import { useText } from '../../i18n/use-text.js';
import { useConnection } from '../../state/connection.js';
import { useDialogs } from '../../state/dialogs.js';
import { useLanguage } from '../../state/language.js';
import { useThumbnails } from '../../state/thumbnails.js';
import { fallbackThumbnailIntervalMs, isLive } from './live.js';

export function LessonBar({ lab, lesson, machines }: { lab: Lab; lesson: Lesson | null; machines: Machine[] }) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const online = useConnection((s) => s.status === 'online');
  const intervalMs = useConnection((s) => s.consoleStatus?.thumbnailIntervalMs ?? fallbackThumbnailIntervalMs);
  const thumbs = useThumbnails((s) => s.byMachine);
  // A PC watched large on one monitor sends only pictures of that monitor: they are live too.
  const monitorThumbs = useThumbnails((s) => s.monitorByMachine);
  const now = useNow(1000);
  const receivedAts = useMemo(
    () => machines.flatMap((m) => [thumbs[m.id]?.receivedAt, monitorThumbs[m.id]?.receivedAt]).filter((x): x is number => x !== undefined),
    [machines, thumbs, monitorThumbs],
  );

  if (!lesson) {
    return (
      <section className="lesson-bar idle" aria-label={t('ui.lesson.label')} data-testid="lesson-bar">
        <div className="lesson-text">
          <strong>{t('ui.lesson.none')}</strong>
          <span className="muted">{t('ui.lesson.noneHint')}</span>
        </div>
        <button type="button" className="primary" disabled={!online} onClick={() => useDialogs.getState().show({ kind: 'startLesson', labId: lab.id })}>
          <Icon name="play" />
          {t('ui.lesson.start')}
        </button>
      </section>
    );
  }

  const live = isLive(receivedAts, now, intervalMs);
  return (
    <section className="lesson-bar running" aria-label={t('ui.lesson.label')} data-testid="lesson-bar">
      <div className="lesson-text">
        <strong>{t('ui.lesson.running', { className: lesson.className })}</strong>
        <span className="muted">
          {t('ui.lesson.since', { time: formatTime(language, lesson.startedAt) })}
          {lesson.teacher ? ` · ${lesson.teacher}` : ''}
        </span>
      </div>
      <span className={`live-indicator ${live ? 'on' : 'waiting'}`} role="status" data-testid="live-indicator">
        <span className="live-dot" aria-hidden="true" />
        {live ? t('ui.lesson.live', { seconds: formatNumber(language, intervalMs / 1000) }) : t('ui.lesson.waiting')}
      </span>
      <button type="button" disabled={!online} onClick={() => useDialogs.getState().show({ kind: 'endLesson', labId: lab.id })}>
        <Icon name="stop" />
        {t('ui.lesson.end')}
      </button>
    </section>
  );
}
