// Renders the one open dialog (see state/dialogs.ts).
import { useDialogs } from '../../state/dialogs.js';
import { AddComputersDialog } from '../enrolment/AddComputersDialog.js';
import { BaselineProfileDialog, LessonProfileDialog } from '../filtering/FilterDialogs.js';
import { LockDialog, MessageDialog } from '../lab/CommandDialogs.js';
import { EndLessonDialog, StartLessonDialog } from '../lesson/LessonDialogs.js';
import { LiveViewDialog } from '../live-view/LiveViewDialog.js';
import { MachineDetailsDialog } from '../machine-details/MachineDetailsDialog.js';
import { RemoveMachineDialog } from '../machine-details/RemoveMachineDialog.js';

export function DialogHost() {
  const open = useDialogs((s) => s.open);
  if (!open) return null;
  switch (open.kind) {
    case 'lock':
      return <LockDialog machineIds={open.machineIds} />;
    case 'message':
      return <MessageDialog machineIds={open.machineIds} />;
    case 'startLesson':
      return <StartLessonDialog labId={open.labId} />;
    case 'endLesson':
      return <EndLessonDialog labId={open.labId} />;
    case 'addComputers':
      return <AddComputersDialog />;
    case 'details':
      return <MachineDetailsDialog key={open.machineId} machineId={open.machineId} />;
    case 'removeMachine':
      return <RemoveMachineDialog machineId={open.machineId} />;
    case 'liveView':
      return <LiveViewDialog key={open.machineId} machineId={open.machineId} screen={open.screen ?? 'all'} />;
    case 'baselineProfile':
      return <BaselineProfileDialog labId={open.labId} />;
    case 'lessonProfile':
      return <LessonProfileDialog labId={open.labId} />;
  }
}
