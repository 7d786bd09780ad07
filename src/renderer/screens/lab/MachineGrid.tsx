// Responsive grid of machine tiles.
import type { Machine } from '../../../shared/api/contract.js';
import { useText } from '../../i18n/use-text.js';
import { MachineTile } from './MachineTile.js';

export function MachineGrid({ machines, labName, lessonActive }: { machines: Machine[]; labName: string; lessonActive: boolean }) {
  const t = useText();
  return (
    <ul className="grid" aria-label={t('ui.grid.label', { lab: labName, count: machines.length })}>
      {machines.map((m) => (
        <MachineTile key={m.id} machine={m} lessonActive={lessonActive} />
      ))}
    </ul>
  );
}
