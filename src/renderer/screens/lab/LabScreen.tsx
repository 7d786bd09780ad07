// The lab view: lesson bar, web filtering, selection and actions, last command's results, the
// machine grid and, during a lesson, the blocked web attempts beside it.
import { useEffect, useMemo } from 'react';
import { useText } from '../../i18n/use-text.js';
import { unassignedLabKey, useLabs } from '../../state/labs.js';
import { useConnection } from '../../state/connection.js';
import { useLessons } from '../../state/lessons.js';
import { machinesInLab, useMachines } from '../../state/machines.js';
import { useSelection } from '../../state/selection.js';
import { BlockedPanel } from '../filtering/BlockedPanel.js';
import { LabFilterBar } from '../filtering/LabFilterBar.js';
import { LessonBar } from '../lesson/LessonBar.js';
import { ResultsPanel } from '../results/ResultsPanel.js';
import { CreateLab } from './CreateLab.js';
import { EmptyLab } from './EmptyLab.js';
import { MachineGrid } from './MachineGrid.js';
import { Toolbar } from './Toolbar.js';

export function LabScreen() {
  const t = useText();
  const labKey = useLabs((s) => s.selectedLabKey);
  const lab = useLabs((s) => (s.selectedLabKey ? s.byId[s.selectedLabKey] : undefined));
  const byId = useMachines((s) => s.byId);
  const lesson = useLessons((s) => (lab ? s.activeByLab[lab.id] : undefined));
  const machines = useMemo(() => machinesInLab(byId, labKey), [byId, labKey]);
  const stale = useConnection((s) => s.status !== 'online');

  // Ticks on machines that left this lab must not receive the next command.
  useEffect(() => {
    useSelection.getState().retain(machines.map((m) => m.id));
  }, [machines]);

  if (!labKey) return <CreateLab />;
  const title = lab ? lab.name : labKey === unassignedLabKey ? t('ui.lab.unassignedTitle') : '';
  return (
    <div className={`lab-screen ${stale ? 'stale' : ''}`}>
      <h1 className="visually-hidden">{title}</h1>
      {lab && <LessonBar lab={lab} lesson={lesson ?? null} machines={machines} />}
      {lab && <LabFilterBar lab={lab} lesson={lesson ?? null} machines={machines} />}
      {machines.length > 0 && <Toolbar machines={machines} />}
      <ResultsPanel />
      <div className={`lab-body ${lesson ? 'with-side' : ''}`}>
        {machines.length === 0 ? <EmptyLab /> : <MachineGrid machines={machines} labName={title} lessonActive={!!lesson} />}
        {lesson && <BlockedPanel lesson={lesson} />}
      </div>
    </div>
  );
}
