// Console events applied to the UI state: screens only inside a lesson, and nothing left behind
// when a lesson ends or a PC goes away.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent, CommandOutcome } from '../../../src/shared/api/contract.js';
import { useCommands } from '../../../src/renderer/state/commands.js';
import { useDialogs } from '../../../src/renderer/state/dialogs.js';
import { applyEvent } from '../../../src/renderer/state/events.js';
import { useLabs } from '../../../src/renderer/state/labs.js';
import { useLessons } from '../../../src/renderer/state/lessons.js';
import { useMachines } from '../../../src/renderer/state/machines.js';
import { useSelection } from '../../../src/renderer/state/selection.js';
import { thumbnailStore } from '../../../src/renderer/state/thumbnails.js';
import { lab, lesson, machine } from './fixtures.js';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');
const thumbnail = (machineId: string, capturedAt = 1): ApiEvent => ({ type: 'thumbnail', machineId, width: 320, height: 180, screen: 'all', capturedAt, jpegBase64: jpeg });
const shown = () => Object.keys(thumbnailStore.getState().byMachine).sort();

function outcome(commandId: string, command: string, finishedAt: number): CommandOutcome {
  return { commandId, command, startedAt: finishedAt - 1, finishedAt, results: [{ machineId: 'a', name: 'PC-1', status: 'done' }] };
}

beforeEach(() => {
  thumbnailStore.getState().clear();
  useLabs.setState({ byId: {}, selectedLabKey: null, chosen: false });
  useLessons.setState({ activeByLab: {} });
  useMachines.setState({ byId: {} });
  useSelection.setState({ selected: {} });
  useCommands.setState({ pending: null, last: null, error: null });
  useDialogs.setState({ open: null });
  for (const m of [machine('a', 'PC-1', 'lab1'), machine('b', 'PC-2', 'lab1'), machine('c', 'PC-3', 'lab2')]) applyEvent({ type: 'machine.updated', machine: m });
});

describe('applying console events', () => {
  it('shows no screen of a lab without a lesson', () => {
    applyEvent(thumbnail('a'));
    expect(shown()).toEqual([]);
  });

  it('shows screens of the lab whose lesson runs, only that lab', () => {
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1') });
    applyEvent(thumbnail('a'));
    applyEvent(thumbnail('b'));
    applyEvent(thumbnail('c'));
    applyEvent(thumbnail('unknown'));
    expect(shown()).toEqual(['a', 'b']);
  });

  it('forgets every screen of the lab and closes the live view when the lesson ends', () => {
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1') });
    applyEvent(thumbnail('a'));
    applyEvent(thumbnail('b'));
    useDialogs.getState().show({ kind: 'liveView', machineId: 'a' });
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1', 99) });
    expect(shown()).toEqual([]);
    expect(useDialogs.getState().open).toBeNull();
    applyEvent(thumbnail('a', 2)); // a frame still in flight
    expect(shown()).toEqual([]);
  });

  it('ignores the end of an older lesson of the same lab', () => {
    applyEvent({ type: 'lesson.updated', lesson: lesson('les2', 'lab1') });
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1', 50) });
    expect(useLessons.getState().activeByLab['lab1']?.id).toBe('les2');
  });

  it('drops the screen of a PC that goes offline', () => {
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1') });
    applyEvent(thumbnail('a'));
    applyEvent(thumbnail('b'));
    applyEvent({ type: 'machine.updated', machine: machine('a', 'PC-1', 'lab1', { online: false }) });
    expect(shown()).toEqual(['b']);
  });

  it('forgets a removed PC everywhere: list, screen, selection, its dialog', () => {
    applyEvent({ type: 'lesson.updated', lesson: lesson('les1', 'lab1') });
    applyEvent(thumbnail('a'));
    useSelection.getState().setMany(['a', 'b']);
    useDialogs.getState().show({ kind: 'details', machineId: 'a' });
    applyEvent({ type: 'machine.removed', machineId: 'a' });
    expect(useMachines.getState().byId['a']).toBeUndefined();
    expect(shown()).toEqual([]);
    expect(useSelection.getState().selected).toEqual({ b: true });
    expect(useDialogs.getState().open).toBeNull();
  });

  it('records the outcome of teacher commands once, newest wins, internal commands ignored', () => {
    applyEvent({ type: 'command.finished', outcome: outcome('c1', 'lock', 10) });
    applyEvent({ type: 'command.finished', outcome: outcome('c0', 'unlock', 5) });
    applyEvent({ type: 'command.finished', outcome: outcome('c2', 'setLesson', 20) });
    expect(useCommands.getState().last?.commandId).toBe('c1');
    applyEvent({ type: 'command.finished', outcome: outcome('c3', 'showMessage', 30) });
    expect(useCommands.getState().last?.commandId).toBe('c3');
  });

  it('opens the lab with PCs when the first picked lab is empty', () => {
    useLabs.getState().setAll([lab('lab0', 'A empty'), lab('lab1', 'B lab')]);
    expect(useLabs.getState().selectedLabKey).toBe('lab0');
    applyEvent({ type: 'machine.updated', machine: machine('d', 'PC-4', 'lab1') });
    expect(useLabs.getState().selectedLabKey).toBe('lab1');
  });

  it('ignores events it does not know', () => {
    expect(() => applyEvent({ type: 'something.new' } as unknown as ApiEvent)).not.toThrow();
  });
});
