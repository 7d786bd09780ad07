// Confirms removing a machine: its key is revoked and it must be enrolled again to come back.
import { useRef, useState } from 'react';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { removeMachine } from '../../state/actions.js';
import { useDialogs } from '../../state/dialogs.js';
import { useMachines } from '../../state/machines.js';

export function RemoveMachineDialog({ machineId }: { machineId: string }) {
  const t = useText();
  const pick = useUserText();
  const name = useMachines((s) => s.byId[machineId]?.name ?? '');
  const cancelButton = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  // Cancel goes back to the details the teacher came from.
  const back = () => useDialogs.getState().show({ kind: 'details', machineId });

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await removeMachine(machineId);
      useDialogs.getState().close();
    } catch (e) {
      setError(toConsoleError(e).text);
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('ui.remove.title', { name })} onClose={back} initialFocus={cancelButton} testId="remove-machine-dialog">
      <p>{t('ui.remove.body', { name })}</p>
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" ref={cancelButton} onClick={back}>
          {t('ui.dialog.cancel')}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
          <Icon name="trash" />
          {t('ui.remove.confirm', { name })}
        </button>
      </div>
    </Dialog>
  );
}
