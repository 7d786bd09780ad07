// One machine's screen, large; the console refreshes it faster while this is open. A PC with more
// than one monitor can be shown whole or one monitor at a time (the whole desktop by default).
import { useEffect } from 'react';
import type { Machine } from '../../../shared/api/contract.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { formatClock } from '../../format/format.js';
import { useText } from '../../i18n/use-text.js';
import { focusThumbnail, runCommand } from '../../state/actions.js';
import { useCommands } from '../../state/commands.js';
import { useDialogs } from '../../state/dialogs.js';
import { useLanguage } from '../../state/language.js';
import { useMachines } from '../../state/machines.js';
import { useThumbnails } from '../../state/thumbnails.js';

function ScreenChoice({ machine, screen }: { machine: Machine; screen: number | 'all' }) {
  const t = useText();
  const choose = (next: number | 'all') => useDialogs.getState().show({ kind: 'liveView', machineId: machine.id, screen: next });
  const options: Array<{ value: number | 'all'; label: string }> = [
    { value: 'all', label: t('ui.live.wholeDesktop') },
    ...machine.screens.map((s, i) => ({
      value: s.id,
      label: t(s.primary ? 'ui.live.screenNPrimary' : 'ui.live.screenN', { number: i + 1 }),
    })),
  ];
  return (
    <fieldset className="screen-choice">
      <legend>{t('ui.live.screens')}</legend>
      {options.map((o) => (
        <label key={String(o.value)}>
          <input type="radio" name="live-screen" checked={o.value === screen} onChange={() => choose(o.value)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

export function LiveViewDialog({ machineId, screen = 'all' }: { machineId: string; screen?: number | 'all' }) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const machine = useMachines((s) => s.byId[machineId]);
  const stored = useThumbnails((s) => (screen === 'all' ? s.byMachine[machineId] : s.monitorByMachine[machineId]));
  const busy = useCommands((s) => s.pending !== null);
  const close = () => useDialogs.getState().close();
  // Right after switching monitors the last picture still shows the other one: wait for the new.
  const thumb = stored && stored.screen === screen ? stored : undefined;

  useEffect(() => {
    focusThumbnail(machineId, screen);
  }, [machineId, screen]);
  useEffect(() => () => focusThumbnail(null), [machineId]);

  if (!machine) return null;
  return (
    <Dialog title={t('ui.live.title', { name: machine.name })} onClose={close} className="live" testId="live-view">
      {machine.screens.length > 1 && <ScreenChoice machine={machine} screen={screen} />}
      <div className="live-screen">
        {thumb ? (
          <img src={thumb.url} alt={t('ui.tile.screenOf', { name: machine.name })} width={thumb.width} height={thumb.height} />
        ) : (
          <p className="live-waiting" role="status">
            <span className="spinner" aria-hidden="true" /> {t('ui.tile.waiting')}
          </p>
        )}
      </div>
      <div className="live-meta">
        <span>
          <Icon name="user" size={14} /> {machine.user ?? t('ui.machine.noUser')}
        </span>
        {machine.state.locked && <span className="badge-locked static">{t('ui.machine.locked')}</span>}
        {thumb && <span className="muted">{t('ui.live.updated', { time: formatClock(language, thumb.capturedAt) })}</span>}
        <span className="muted">{t('ui.live.escHint')}</span>
      </div>
      <div className="dialog-actions">
        {machine.state.locked ? (
          <button type="button" disabled={busy} onClick={() => void runCommand([machineId], { name: 'unlock' })}>
            <Icon name="unlock" />
            {t('ui.action.unlock')}
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => useDialogs.getState().show({ kind: 'lock', machineIds: [machineId] })}>
            <Icon name="lock" />
            {t('ui.action.lock')}
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => useDialogs.getState().show({ kind: 'message', machineIds: [machineId] })}>
          <Icon name="message" />
          {t('ui.action.message')}
        </button>
        <button type="button" className="primary" onClick={close}>
          {t('ui.dialog.close')}
        </button>
      </div>
    </Dialog>
  );
}
