// Chooses which lab the grid shows; machines enrolled without a lab get their own entry.
import { useId, useMemo } from 'react';
import { useText } from '../../i18n/use-text.js';
import { sortLabs, unassignedLabKey, useLabs } from '../../state/labs.js';
import { useMachines } from '../../state/machines.js';
import { useSelection } from '../../state/selection.js';

export function LabPicker() {
  const t = useText();
  const id = useId();
  const labsById = useLabs((s) => s.byId);
  const selected = useLabs((s) => s.selectedLabKey);
  const machines = useMachines((s) => s.byId);
  const labs = useMemo(() => sortLabs(Object.values(labsById)), [labsById]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const m of Object.values(machines)) {
      const key = m.labId ?? unassignedLabKey;
      c[key] = (c[key] ?? 0) + 1;
    }
    return c;
  }, [machines]);
  const unassigned = counts[unassignedLabKey] ?? 0;
  if (labs.length === 0 && unassigned === 0) return null;
  return (
    <div className="lab-picker">
      <label htmlFor={id}>{t('ui.lab.picker')}</label>
      <select
        id={id}
        value={selected ?? ''}
        onChange={(event) => {
          useSelection.getState().clear();
          useLabs.getState().select(event.target.value);
        }}
      >
        {labs.map((lab) => (
          <option key={lab.id} value={lab.id}>
            {t('ui.lab.option', { name: lab.name, count: counts[lab.id] ?? 0 })}
          </option>
        ))}
        {(unassigned > 0 || selected === unassignedLabKey) && (
          <option value={unassignedLabKey}>{t('ui.lab.unassigned', { count: unassigned })}</option>
        )}
      </select>
    </div>
  );
}
