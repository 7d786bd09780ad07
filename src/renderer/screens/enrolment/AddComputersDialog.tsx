// "Add computers": a fresh enrolment code shown large, its countdown, the console addresses,
// the enrolment file to copy to student PCs, and the agent command line.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Enrolment } from '../../../shared/api/contract.js';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useNow } from '../../components/use-now.js';
import { formatCountdown } from '../../format/format.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { createEnrolment, revokeEnrolment } from '../../state/actions.js';
import { useDialogs } from '../../state/dialogs.js';
import { unassignedLabKey, useLabs } from '../../state/labs.js';
import { agentEnrolCommands, enrolmentFileName, enrolmentFileText } from './enrolment-file.js';

function download(enrolment: Enrolment): void {
  const url = URL.createObjectURL(new Blob([enrolmentFileText(enrolment)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = enrolmentFileName;
  document.body.append(a);
  a.click();
  a.remove();
  // Give the download a moment to start before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function CommandLine({ label, text }: { label: string; text: string }) {
  const t = useText();
  const [copied, setCopied] = useState(false);
  return (
    <div className="command-line">
      <span className="command-label">{label}</span>
      <div className="command-row">
        <code>{text}</code>
        <button
          type="button"
          className="icon-button"
          aria-label={t('ui.enrol.copy', { what: label })}
          title={t('ui.enrol.copy', { what: label })}
          onClick={() => {
            navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          <Icon name="copy" />
        </button>
      </div>
      {copied && (
        <span className="hint" role="status">
          {t('ui.enrol.copied')}
        </span>
      )}
    </div>
  );
}

export function AddComputersDialog() {
  const t = useText();
  const pick = useUserText();
  const labKey = useLabs((s) => s.selectedLabKey);
  const labName = useLabs((s) => (s.selectedLabKey ? s.byId[s.selectedLabKey]?.name : undefined));
  const labId = labKey && labKey !== unassignedLabKey ? labKey : null;
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [error, setError] = useState<UserText | null>(null);
  const [busy, setBusy] = useState(false);
  const now = useNow(1000);
  const doneButton = useRef<HTMLButtonElement>(null);
  const close = () => useDialogs.getState().close();

  const create = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      setEnrolment(await createEnrolment(labId));
    } catch (e) {
      setError(toConsoleError(e).text);
    } finally {
      setBusy(false);
    }
  }, [labId]);

  useEffect(() => {
    void create();
  }, [create]);

  async function revoke() {
    if (!enrolment) return;
    try {
      await revokeEnrolment(enrolment.id);
      setEnrolment(null);
      close();
    } catch (e) {
      setError(toConsoleError(e).text);
    }
  }

  const left = enrolment ? enrolment.expiresAt - now : 0;
  const expired = enrolment !== null && left <= 0;
  const commands = enrolment ? agentEnrolCommands(enrolment) : null;

  return (
    <Dialog title={t('ui.enrol.title')} onClose={close} className="wide" initialFocus={doneButton} testId="add-computers-dialog">
      <p>{labName ? t('ui.enrol.intoLab', { lab: labName }) : t('ui.enrol.noLab')}</p>
      {busy && !enrolment && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> {t('ui.enrol.creating')}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      {enrolment && commands && (
        <>
          <div className={`enrol-code-box ${expired ? 'expired' : ''}`}>
            <span className="enrol-code-label">{t('ui.enrol.code')}</span>
            <output className="enrol-code" data-testid="enrolment-code" aria-label={t('ui.enrol.codeSpelled', { code: enrolment.code.split('').join(' ') })}>
              {enrolment.code}
            </output>
            <span className="enrol-expiry" role="timer" aria-live="off">
              {expired ? t('ui.enrol.expired') : t('ui.enrol.expiresIn', { time: formatCountdown(left) })}
            </span>
          </div>
          <h3>{t('ui.enrol.addresses')}</h3>
          <ul className="address-list">
            {enrolment.consoleUrls.map((url) => (
              <li key={url}>
                <code>{url}</code>
              </li>
            ))}
          </ul>
          <h3>{t('ui.enrol.steps')}</h3>
          <ol className="steps">
            <li>{t('ui.enrol.step1')}</li>
            <li>{t('ui.enrol.step2', { file: enrolmentFileName })}</li>
            <li>{t('ui.enrol.step3')}</li>
          </ol>
          <CommandLine label={t('ui.enrol.commandFile')} text={commands.withFile} />
          <CommandLine label={t('ui.enrol.commandCode')} text={commands.withCode} />
          <CommandLine label={t('ui.enrol.commandRun')} text={commands.run} />
        </>
      )}
      <div className="dialog-actions">
        {enrolment && !expired && (
          <button type="button" className="danger-quiet" onClick={() => void revoke()}>
            {t('ui.enrol.revoke')}
          </button>
        )}
        {enrolment && !expired && (
          <button type="button" onClick={() => download(enrolment)}>
            <Icon name="download" />
            {t('ui.enrol.download')}
          </button>
        )}
        {(expired || error) && (
          <button type="button" disabled={busy} onClick={() => void create()}>
            <Icon name="refresh" />
            {t('ui.enrol.newCode')}
          </button>
        )}
        <button type="button" className="primary" ref={doneButton} onClick={close}>
          {t('ui.dialog.done')}
        </button>
      </div>
    </Dialog>
  );
}
