// Which lab is shown, the order of its PCs, and which PCs a command goes to.
import { beforeEach, describe, expect, it } from 'vitest';
import { pickLab, unassignedLabKey, useLabs } from '../../../src/renderer/state/labs.js';
import { machinesInLab } from '../../../src/renderer/state/machines.js';
import { commandTargets, useSelection } from '../../../src/renderer/state/selection.js';
import { lab, machine } from './fixtures.js';

describe('lab choice', () => {
  beforeEach(() => useLabs.setState({ byId: {}, selectedLabKey: null, chosen: false }));

  it('keeps the current lab, else the remembered one, else the first lab with PCs', () => {
    const labs = [lab('l1', 'Phòng máy 1'), lab('l2', 'Phòng máy demo', 12), lab('l3', 'A-lab')];
    expect(pickLab(labs, 'l3', 'l1')).toBe('l3');
    expect(pickLab(labs, 'gone', 'l1')).toBe('l1');
    expect(pickLab(labs, null, null)).toBe('l2');
    expect(pickLab([lab('b', 'B'), lab('a', 'A')], null, null)).toBe('a');
    expect(pickLab([], null, null)).toBeNull();
    expect(pickLab(labs, unassignedLabKey, null)).toBe(unassignedLabKey);
  });

  it('moves off an automatically picked empty lab once PCs appear elsewhere, but not off a chosen one', () => {
    useLabs.getState().setAll([lab('l1', 'Phòng máy 1'), lab('l2', 'Phòng máy demo')]);
    expect(useLabs.getState().selectedLabKey).toBe('l1');
    useLabs.getState().preferLabWithMachines(['l2', 'l2', null]);
    expect(useLabs.getState().selectedLabKey).toBe('l2');

    useLabs.getState().select('l1');
    useLabs.getState().preferLabWithMachines(['l2']);
    expect(useLabs.getState().selectedLabKey).toBe('l1');
  });
});

describe('lab grid order', () => {
  it('lists the PCs of one lab the way people count them', () => {
    const byId = Object.fromEntries(
      [machine('1', 'PC-10', 'l'), machine('2', 'PC-2', 'l'), machine('3', 'PC-1', 'l'), machine('4', 'PC-3', 'other'), machine('5', 'PC-4', null)].map((m) => [m.id, m]),
    );
    expect(machinesInLab(byId, 'l').map((m) => m.name)).toEqual(['PC-1', 'PC-2', 'PC-10']);
    expect(machinesInLab(byId, unassignedLabKey).map((m) => m.name)).toEqual(['PC-4']);
    expect(machinesInLab(byId, null)).toEqual([]);
  });
});

describe('command targets', () => {
  beforeEach(() => useSelection.setState({ selected: {} }));

  it('are the whole lab when nothing is ticked, else only the ticked PCs of this lab', () => {
    expect(commandTargets(['a', 'b', 'c'], {})).toEqual({ ids: ['a', 'b', 'c'], wholeLab: true });
    expect(commandTargets(['a', 'b', 'c'], { b: true, elsewhere: true })).toEqual({ ids: ['b'], wholeLab: false });
  });

  it('follow ticks, "select all", and forget PCs that left', () => {
    const s = useSelection.getState();
    s.toggle('a');
    s.toggle('b');
    s.toggle('a');
    expect(useSelection.getState().selected).toEqual({ b: true });
    s.setMany(['a', 'b', 'c']);
    s.retain(['a', 'c']);
    expect(useSelection.getState().selected).toEqual({ a: true, c: true });
    s.clear();
    expect(useSelection.getState().selected).toEqual({});
  });
});
