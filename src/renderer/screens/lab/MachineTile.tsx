// One student PC: its live screen (only during a lesson; always the whole desktop, with the time it
// was taken while the PC is watched large one monitor at a time), name, user, online/locked state, a
// warning when it does not filter the web, when programs can go round its filter, or when its lock
// does not hold (a student fighting it, input not captured, the lock not on screen), and during a
// lesson how often the filter blocked it.
// The checkbox selects it (Space or Enter); a click on the screen does the same with a mouse.
import type { KeyboardEvent } from 'react';
import type { Machine } from '../../../shared/api/contract.js';
import type { LockIssue } from '../../../shared/protocol/messages.js';
import { Icon } from '../../components/Icon.js';
import { useText } from '../../i18n/use-text.js';
import { useBlocked } from '../../state/blocked.js';
import { useDialogs } from '../../state/dialogs.js';
import { useFiltering } from '../../state/filtering.js';
import { useLanguage } from '../../state/language.js';
import { useLessons } from '../../state/lessons.js';
import { useSelection } from '../../state/selection.js';
import { isFilterBypassable, isFilterProblem, machineFilterReason, machineFilterStateText, machineFilterWarning } from '../filtering/filter-text.js';
import { isTilePictureHeld, useThumbnails } from '../../state/thumbnails.js';
import { formatClock } from '../../format/format.js';
import { hasText } from '../../../shared/i18n/index.js';

/** The chip a lock issue shows on the tile (text and hover hint). */
const lockIssueText: Record<LockIssue, { chip: string; hint: string }> = {
  'input-not-captured': { chip: 'ui.tile.lockInputFree', hint: 'ui.tile.lockInputFreeHint' },
  contested: { chip: 'ui.tile.lockContested', hint: 'ui.tile.lockContestedHint' },
  'lock-down': { chip: 'ui.tile.lockDown', hint: 'ui.tile.lockDownHint' },
};

export function MachineTile({ machine, lessonActive }: { machine: Machine; lessonActive: boolean }) {
  const t = useText();
  const selected = useSelection((s) => !!s.selected[machine.id]);
  const thumb = useThumbnails((s) => s.byMachine[machine.id]);
  const held = useThumbnails((s) => isTilePictureHeld(s, machine.id));
  const language = useLanguage((s) => s.language);
  const filter = useFiltering((s) => s.machines[machine.id]);
  const lessonId = useLessons((s) => (machine.labId ? s.activeByLab[machine.labId]?.id : undefined));
  const blockedCount = useBlocked((s) => (lessonId ? (s.byLesson[lessonId]?.byMachine[machine.id] ?? 0) : 0));
  const filterProblem = machine.online && isFilterProblem(filter);
  const filterBypassable = machine.online && isFilterBypassable(filter);
  const toggle = () => useSelection.getState().toggle(machine.id);
  const canWatch = lessonActive && machine.online;
  const openLive = () => {
    if (canWatch) useDialogs.getState().show({ kind: 'liveView', machineId: machine.id });
  };
  const onCheckboxKey = (event: KeyboardEvent<HTMLInputElement>) => {
    // Checkboxes answer Space natively; teachers also press Enter.
    if (event.key === 'Enter') {
      event.preventDefault();
      toggle();
    }
  };
  const locked = machine.state.locked;
  const lockIssue = locked && machine.online ? machine.state.lockIssue : undefined;
  // The PC's graphical session could not be opened (still starting, a Wayland login screen…):
  // locking, pictures and messages cannot work there, though its web filter does.
  const desktopProblem = machine.online ? machine.state.desktopProblem : undefined;
  const desktopProblemKey = desktopProblem && hasText(`ui.tile.desktopProblem.${desktopProblem.code}`) ? `ui.tile.desktopProblem.${desktopProblem.code}` : 'ui.tile.desktopProblem.other';
  const placeholder = !machine.online ? t('ui.tile.offline') : !lessonActive ? t('ui.tile.noLesson') : t('ui.tile.waiting');
  const classes = ['tile', machine.online ? 'is-online' : 'is-offline', locked ? 'is-locked' : '', selected ? 'is-selected' : ''].join(' ');

  return (
    <li
      className={classes}
      data-testid="machine-tile"
      data-machine-id={machine.id}
      data-online={machine.online}
      data-locked={locked}
      data-live={!!thumb}
      data-picture-held={held}
      data-filter={filter?.state ?? 'unknown'}
    >
      <div className="tile-head">
        <label className="tile-check">
          <input type="checkbox" checked={selected} onChange={toggle} onKeyDown={onCheckboxKey} aria-label={t('ui.tile.select', { name: machine.name })} />
          <span className="tile-name">{machine.name}</span>
        </label>
        <span className={`status ${machine.online ? 'online' : 'offline'}`}>
          <span className="dot" aria-hidden="true" />
          {machine.online ? t('ui.machine.online') : t('ui.machine.offline')}
        </span>
      </div>
      <div className={`tile-screen ${lessonActive || thumb ? '' : 'idle'}`} onClick={toggle} onDoubleClick={openLive}>
        {thumb ? (
          <img src={thumb.url} alt={t('ui.tile.screenOf', { name: machine.name })} width={thumb.width} height={thumb.height} draggable={false} />
        ) : (
          <div className="tile-placeholder">
            <Icon name="monitor" size={32} />
            <span>{placeholder}</span>
          </div>
        )}
        {((thumb && held) || filterProblem || filterBypassable || blockedCount > 0 || lockIssue || desktopProblem) && (
          <span className="tile-chips">
            {desktopProblem && (
              <span className="tile-chip warn" data-testid="desktop-problem" data-code={desktopProblem.code} title={t(`${desktopProblemKey}Hint`)}>
                <Icon name="warning" size={13} />
                {t(desktopProblemKey)}
              </span>
            )}
            {thumb && held && (
              <span className="tile-chip held" data-testid="tile-picture-held">
                {t('ui.tile.pictureAt', { time: formatClock(language, thumb.capturedAt) })}
              </span>
            )}
            {lockIssue && (
              <span
                className="tile-chip warn"
                data-testid="lock-warning"
                data-issue={lockIssue}
                title={t(lockIssueText[lockIssue].hint)}
              >
                <Icon name="warning" size={13} />
                {t(lockIssueText[lockIssue].chip)}
              </span>
            )}
            {filterProblem && filter && (
              <span className="tile-chip warn" data-testid="filter-warning" title={machineFilterReason(language, filter) ?? undefined}>
                <Icon name="warning" size={13} />
                {machineFilterStateText(language, filter)}
              </span>
            )}
            {filterBypassable && filter && (
              <span className="tile-chip warn" data-testid="filter-bypass" data-warning={filter.warning} title={machineFilterWarning(language, filter) ?? undefined}>
                <Icon name="warning" size={13} />
                {t('ui.tile.filterBypassable')}
              </span>
            )}
            {blockedCount > 0 && (
              <span className="tile-chip blocked" data-testid="blocked-count">
                <Icon name="shield" size={13} />
                {t('ui.tile.blocked', { count: blockedCount })}
              </span>
            )}
          </span>
        )}
        {locked && (
          <span className="badge-locked" data-testid="locked-badge">
            <Icon name="lock" size={14} />
            {t('ui.machine.locked')}
          </span>
        )}
      </div>
      <div className="tile-foot">
        <span className={`tile-user ${machine.user ? '' : 'muted'}`}>
          <Icon name="user" size={14} />
          {machine.user ?? t('ui.machine.noUser')}
        </span>
        <span className="tile-buttons">
          <button
            type="button"
            className="icon-button"
            aria-label={t('ui.tile.liveView', { name: machine.name })}
            title={canWatch ? t('ui.tile.liveView', { name: machine.name }) : t('ui.tile.liveViewNeedsLesson')}
            disabled={!canWatch}
            onClick={openLive}
          >
            <Icon name="expand" />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={t('ui.tile.details', { name: machine.name })}
            title={t('ui.tile.details', { name: machine.name })}
            onClick={() => useDialogs.getState().show({ kind: 'details', machineId: machine.id })}
          >
            <Icon name="info" />
          </button>
        </span>
      </div>
    </li>
  );
}
