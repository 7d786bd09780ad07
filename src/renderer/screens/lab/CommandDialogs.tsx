// Dialogs that ask what to say before locking screens or showing a message.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { maxMessageTextChars } from '../../../shared/protocol/limits.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useText } from '../../i18n/use-text.js';
import { runCommand } from '../../state/actions.js';
import { useDialogs } from '../../state/dialogs.js';

export function LockDialog({ machineIds }: { machineIds: string[] }) {
  const t = useText();
  const id = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [message, setMessage] = useState(() => t('ui.lock.defaultMessage'));
  const close = () => useDialogs.getState().close();

  // The default text is selected so typing replaces it, Tab keeps it.
  useEffect(() => field.current?.select(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    close();
    void runCommand(machineIds, { name: 'lock', message: message.trim() });
  }

  return (
    <Dialog title={t('ui.lock.title', { count: machineIds.length })} onClose={close} initialFocus={field} testId="lock-dialog">
      <form onSubmit={submit}>
        <label htmlFor={id}>{t('ui.lock.messageLabel')}</label>
        <textarea id={id} ref={field} rows={3} maxLength={maxMessageTextChars} value={message} onChange={(e) => setMessage(e.target.value)} />
        <p className="hint">{t('ui.lock.hint')}</p>
        <div className="dialog-actions">
          <button type="button" onClick={close}>
            {t('ui.dialog.cancel')}
          </button>
          <button type="submit" className="primary">
            <Icon name="lock" />
            {t('ui.lock.confirm', { count: machineIds.length })}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function MessageDialog({ machineIds }: { machineIds: string[] }) {
  const t = useText();
  const id = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState('');
  const close = () => useDialogs.getState().close();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    close();
    void runCommand(machineIds, { name: 'showMessage', text: text.trim() });
  }

  return (
    <Dialog title={t('ui.message.title', { count: machineIds.length })} onClose={close} initialFocus={field} testId="message-dialog">
      <form onSubmit={submit}>
        <label htmlFor={id}>{t('ui.message.label')}</label>
        <textarea id={id} ref={field} rows={4} required maxLength={maxMessageTextChars} value={text} onChange={(e) => setText(e.target.value)} />
        <p className="hint">{t('ui.message.hint', { max: maxMessageTextChars })}</p>
        <div className="dialog-actions">
          <button type="button" onClick={close}>
            {t('ui.dialog.cancel')}
          </button>
          <button type="submit" className="primary" disabled={!text.trim()}>
            <Icon name="message" />
            {t('ui.message.confirm', { count: machineIds.length })}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
