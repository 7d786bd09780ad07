// One machine in full: identity, connection, screens, web filter (its state, what the PC said about
// a problem, how often its DNS setting was changed behind the filter), hardware inventory; move or
// remove it.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Inventory } from '../../../shared/protocol/messages.js';
import type { UserText } from '../../api/console-error.js';
import { toConsoleError } from '../../api/console-error.js';
import { Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { formatBytes, formatDateTime, formatNumber } from '../../format/format.js';
import { useText, useUserText } from '../../i18n/use-text.js';
import { loadInventory, moveMachine } from '../../state/actions.js';
import { useDialogs } from '../../state/dialogs.js';
import { useFiltering } from '../../state/filtering.js';
import { useProfiles } from '../../state/profiles.js';
import { machineFilterSummary, profileLabel, resolverDriftText } from '../filtering/filter-text.js';
import { sortLabs, useLabs } from '../../state/labs.js';
import { useLanguage } from '../../state/language.js';
import { useMachines } from '../../state/machines.js';

function InventoryView({ inventory }: { inventory: Inventory }) {
  const t = useText();
  const language = useLanguage((s) => s.language);
  const os = inventory.os;
  return (
    <div className="inventory" data-testid="inventory">
      <dl className="facts">
        <dt>{t('ui.inventory.cpu')}</dt>
        <dd>
          {[
            inventory.cpu.model,
            inventory.cpu.cores > 0 ? t('ui.inventory.cores', { count: inventory.cpu.cores }) : '',
            inventory.cpu.speedGHz > 0 ? `${formatNumber(language, inventory.cpu.speedGHz, 2)} GHz` : '',
          ]
            .filter(Boolean)
            .join(' · ')}
        </dd>
        <dt>{t('ui.inventory.memory')}</dt>
        <dd>{formatBytes(language, inventory.memoryBytes)}</dd>
        <dt>{t('ui.inventory.os')}</dt>
        <dd>{[os.distro, os.release, os.build && `(${os.build})`, os.arch].filter(Boolean).join(' ')}</dd>
        <dt>{t('ui.inventory.gatheredAt')}</dt>
        <dd>{formatDateTime(language, inventory.gatheredAt)}</dd>
      </dl>
      <h4>{t('ui.inventory.disks')}</h4>
      {inventory.disks.length === 0 ? (
        <p className="muted">{t('ui.inventory.none')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t('ui.inventory.mount')}</th>
              <th scope="col">{t('ui.inventory.size')}</th>
              <th scope="col">{t('ui.inventory.used')}</th>
            </tr>
          </thead>
          <tbody>
            {inventory.disks.map((d) => (
              <tr key={d.mount}>
                <th scope="row">{d.mount}</th>
                <td>{formatBytes(language, d.sizeBytes)}</td>
                <td>
                  {formatBytes(language, d.usedBytes)}
                  {d.sizeBytes > 0 ? ` (${Math.round((100 * d.usedBytes) / d.sizeBytes)}%)` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>{t('ui.inventory.network')}</h4>
      {inventory.networkAdapters.length === 0 ? (
        <p className="muted">{t('ui.inventory.none')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t('ui.inventory.adapter')}</th>
              <th scope="col">{t('ui.inventory.mac')}</th>
              <th scope="col">{t('ui.inventory.addresses')}</th>
            </tr>
          </thead>
          <tbody>
            {inventory.networkAdapters.map((a) => (
              <tr key={`${a.name}-${a.mac}`}>
                <th scope="row">
                  {a.name}
                  {a.virtual ? ` (${t('ui.inventory.virtual')})` : ''}
                </th>
                <td>
                  <code>{a.mac}</code>
                </td>
                <td>{[...a.ipv4, ...a.ipv6].join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function MachineDetailsDialog({ machineId }: { machineId: string }) {
  const t = useText();
  const pick = useUserText();
  const moveId = useId();
  const language = useLanguage((s) => s.language);
  const machine = useMachines((s) => s.byId[machineId]);
  const filter = useFiltering((s) => s.machines[machineId]);
  const profiles = useProfiles((s) => s.byId);
  const labsById = useLabs((s) => s.byId);
  const labs = useMemo(() => sortLabs(Object.values(labsById)), [labsById]);
  const [inventory, setInventory] = useState<Inventory | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<UserText | null>(null);
  const [moveTo, setMoveTo] = useState('');
  const doneButton = useRef<HTMLButtonElement>(null);
  const close = () => useDialogs.getState().close();

  const load = useCallback(
    async (refresh: boolean) => {
      setLoading(true);
      setError(null);
      try {
        setInventory(await loadInventory(machineId, refresh));
      } catch (e) {
        setError(toConsoleError(e).text);
      } finally {
        setLoading(false);
      }
    },
    [machineId],
  );

  useEffect(() => {
    void load(false);
  }, [load]);

  if (!machine) return null;

  const targetLab = moveTo || machine.labId || '';
  async function move() {
    if (!targetLab || targetLab === machine?.labId) return;
    setError(null);
    try {
      await moveMachine(machineId, targetLab);
      setMoveTo('');
    } catch (e) {
      setError(toConsoleError(e).text);
    }
  }

  const drift = filter ? resolverDriftText(language, filter) : null;
  const screens = machine.screens.map((s) => `${s.width}×${s.height}${s.primary ? ` (${t('ui.details.primary')})` : ''}`).join(', ');
  return (
    <Dialog title={t('ui.details.title', { name: machine.name })} onClose={close} className="wide" initialFocus={doneButton} testId="machine-details">
      <dl className="facts">
        <dt>{t('ui.details.status')}</dt>
        <dd>
          {machine.online ? t('ui.machine.online') : t('ui.machine.offline')}
          {machine.state.locked ? ` · ${t('ui.machine.locked')}` : ''}
        </dd>
        <dt>{t('ui.details.user')}</dt>
        <dd>{machine.user ?? t('ui.machine.noUser')}</dd>
        <dt>{t('ui.details.hostname')}</dt>
        <dd>{machine.hostname}</dd>
        <dt>{t('ui.details.os')}</dt>
        <dd>{machine.os}</dd>
        <dt>{t('ui.details.address')}</dt>
        <dd>{machine.remoteAddress ?? '—'}</dd>
        <dt>{t('ui.details.screens')}</dt>
        <dd>{screens || '—'}</dd>
        <dt>{t('ui.details.agent')}</dt>
        <dd>
          {machine.agentVersion} · {machine.desktop}
        </dd>
        <dt>{t('ui.details.enrolledAt')}</dt>
        <dd>{formatDateTime(language, machine.enrolledAt)}</dd>
        <dt>{t('ui.details.lastSeen')}</dt>
        <dd>{machine.online ? t('ui.details.now') : machine.lastSeenAt ? formatDateTime(language, machine.lastSeenAt) : '—'}</dd>
        {filter && (
          <>
            <dt>{t('ui.details.webFilter')}</dt>
            <dd data-testid="details-filter" data-state={filter.state} data-warning={filter.warning}>
              {machineFilterSummary(language, filter)}
            </dd>
            {filter.detail && (
              <>
                <dt>{t('ui.details.filterDetail')}</dt>
                <dd data-testid="details-filter-detail">
                  <code>{filter.detail}</code>
                </dd>
              </>
            )}
            {drift && (
              <>
                <dt>{t('ui.details.resolverDrift')}</dt>
                <dd data-testid="details-resolver-drift">{drift}</dd>
              </>
            )}
            <dt>{t('ui.details.webProfile')}</dt>
            <dd>{filter.profileId ? (profiles[filter.profileId] ? profileLabel(language, profiles[filter.profileId]!.profile) : filter.profileId) : '—'}</dd>
            <dt>{t('ui.details.dnsFilter')}</dt>
            <dd>{filter.listening.length > 0 ? filter.listening.join(', ') : t('ui.details.dnsFilterOff')}</dd>
          </>
        )}
      </dl>
      {labs.length > 0 && (
        <div className="inline-form">
          <label htmlFor={moveId}>{t('ui.details.lab')}</label>
          {/* Moving takes a button press: arrow keys on a focused select must not move PCs. */}
          <select id={moveId} value={targetLab} onChange={(e) => setMoveTo(e.target.value)}>
            {machine.labId === null && <option value="">{t('ui.details.noLab')}</option>}
            {labs.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <button type="button" disabled={!targetLab || targetLab === machine.labId} onClick={() => void move()}>
            {t('ui.details.move')}
          </button>
        </div>
      )}
      <div className="section-head">
        <h3>{t('ui.inventory.title')}</h3>
        <button type="button" disabled={loading || !machine.online} onClick={() => void load(true)}>
          <Icon name="refresh" />
          {t('ui.inventory.refresh')}
        </button>
      </div>
      {loading && inventory === undefined && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> {t('ui.inventory.loading')}
        </p>
      )}
      {inventory === null && <p className="muted">{t('ui.inventory.missing')}</p>}
      {inventory && <InventoryView inventory={inventory} />}
      {error && (
        <p className="form-error" role="alert">
          {pick(error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="danger" onClick={() => useDialogs.getState().show({ kind: 'removeMachine', machineId })}>
          <Icon name="trash" />
          {t('ui.remove.open')}
        </button>
        <button type="button" className="primary" ref={doneButton} onClick={close}>
          {t('ui.dialog.done')}
        </button>
      </div>
    </Dialog>
  );
}
