// Selection (all / some) and the classroom actions: lock, unlock, message.
import { useEffect, useRef } from 'react';
import type { Machine } from '../../../shared/api/contract.js';
import { Icon } from '../../components/Icon.js';
import { useText } from '../../i18n/use-text.js';
import { runCommand } from '../../state/actions.js';
import { useCommands } from '../../state/commands.js';
import { useConnection } from '../../state/connection.js';
import { useDialogs } from '../../state/dialogs.js';
import { commandTargets, useSelection } from '../../state/selection.js';

export function Toolbar({ machines }: { machines: Machine[] }) {
  const t = useText();
  const selected = useSelection((s) => s.selected);
  const pending = useCommands((s) => s.pending);
  const online = useConnection((s) => s.status === 'online');
  const allBox = useRef<HTMLInputElement>(null);

  const ids = machines.map((m) => m.id);
  const targets = commandTargets(ids, selected);
  const tickedCount = targets.wholeLab ? 0 : targets.ids.length;
  const allTicked = tickedCount === ids.length && ids.length > 0;

  useEffect(() => {
    if (allBox.current) allBox.current.indeterminate = tickedCount > 0 && !allTicked;
  }, [tickedCount, allTicked]);

  const canAct = online && !pending && targets.ids.length > 0;
  const count = targets.ids.length;

  return (
    <section className="toolbar" aria-label={t('ui.toolbar.label')}>
      <div className="selection">
        <label className="select-all">
          <input
            ref={allBox}
            type="checkbox"
            checked={allTicked}
            onChange={() => (allTicked ? useSelection.getState().clear() : useSelection.getState().setMany(ids))}
          />
          {t('ui.select.all')}
        </label>
        <span className="target-hint" data-testid="target-hint">
          {targets.wholeLab ? t('ui.select.targetAll', { count }) : t('ui.select.targetSome', { count, total: ids.length })}
        </span>
        {tickedCount > 0 && (
          <button type="button" className="link-button" onClick={() => useSelection.getState().clear()}>
            {t('ui.select.clear')}
          </button>
        )}
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={!canAct} onClick={() => useDialogs.getState().show({ kind: 'lock', machineIds: targets.ids })}>
          <Icon name="lock" />
          {t('ui.action.lock')}
        </button>
        <button type="button" disabled={!canAct} onClick={() => void runCommand(targets.ids, { name: 'unlock' })}>
          <Icon name="unlock" />
          {t('ui.action.unlock')}
        </button>
        <button type="button" disabled={!canAct} onClick={() => useDialogs.getState().show({ kind: 'message', machineIds: targets.ids })}>
          <Icon name="message" />
          {t('ui.action.message')}
        </button>
      </div>
    </section>
  );
}
