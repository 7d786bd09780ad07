// One machine's screen, large; the console refreshes it faster while this is open.
import { useEffect } from 'react';
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

export function LiveViewDialog({ machineId }: { machineId: string }) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const machine = useMachines((s) => s.byId[machineId]);
  const thumb = useThumbnails((s) => s.byMachine[machineId]);
  const busy = useCommands((s) => s.pending !== null);
  const close = () => useDialogs.getState().close();

  useEffect(() => {
    focusThumbnail(machineId);
    return () => focusThumbnail(null);
  }, [machineId]);

  if (!machine) return null;
  return (
    <Dialog title={t('ui.live.title', { name: machine.name })} onClose={close} className="live" testId="live-view">
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
