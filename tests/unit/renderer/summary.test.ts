// The one-line result of a command, as the teacher reads it in either language.
import { describe, expect, it } from 'vitest';
import type { CommandOutcome, MachineResult } from '../../../src/shared/api/contract.js';
import { allDone, reasonKeys, resultDetail, resultReason, resultRows, summariseOutcome } from '../../../src/renderer/screens/results/summary.js';

function outcome(command: string, results: Array<[string, MachineResult['status'], string?]>): CommandOutcome {
  return {
    commandId: 'c1',
    command,
    startedAt: 1,
    finishedAt: 2,
    results: results.map(([name, status, reason]) => ({ machineId: `m-${name}`, name, status, ...(reason ? { reason } : {}) })),
  };
}

const pcs = (n: number) => Array.from({ length: n }, (_, i) => `PC-${String(i + 1).padStart(2, '0')}`);

describe('command summary', () => {
  it('says "locked 11 of 12; PC-07 offline" in Vietnamese and English', () => {
    const o = outcome('lock', pcs(12).map((name) => [name, name === 'PC-07' ? 'offline' : 'done']));
    expect(summariseOutcome('vi', o)).toBe('Đã khoá 11/12 máy; PC-07 ngoại tuyến');
    expect(summariseOutcome('en', o)).toBe('Locked 11 of 12 PCs; PC-07 offline');
    expect(allDone(o)).toBe(false);
  });

  it('says nothing more when every PC did it', () => {
    const o = outcome('unlock', pcs(3).map((name) => [name, 'done']));
    expect(summariseOutcome('vi', o)).toBe('Đã mở khoá 3/3 máy');
    expect(allDone(o)).toBe(true);
  });

  it('lists offline and failed PCs separately, in counting order, and shortens long lists', () => {
    const o = outcome('showMessage', [
      ['PC-10', 'offline'],
      ['PC-2', 'offline'],
      ['PC-9', 'offline'],
      ['PC-1', 'offline'],
      ['PC-3', 'failed', 'timeout'],
      ['PC-4', 'done'],
    ]);
    expect(summariseOutcome('en', o)).toBe('Message shown on 1 of 6 PCs; PC-1, PC-2, PC-9 and 1 more offline; PC-3 failed');
    expect(summariseOutcome('vi', o)).toBe('Đã gửi tin nhắn tới 1/6 máy; PC-1, PC-2, PC-9 và 1 máy khác ngoại tuyến; PC-3 không thực hiện được');
  });

  it('puts problems first in the details and explains each one', () => {
    const o = outcome('lock', [
      ['PC-1', 'done'],
      ['PC-2', 'offline'],
      ['PC-3', 'failed', 'command-failed'],
      ['PC-4', 'failed'],
    ]);
    expect(resultRows(o).map((r) => r.name)).toEqual(['PC-3', 'PC-4', 'PC-2', 'PC-1']);
    const [failed, noAnswer, offline, done] = resultRows(o);
    expect(resultReason('vi', failed!)).toBe('Máy báo lỗi khi thực hiện lệnh');
    expect(resultReason('en', noAnswer!)).toBe('Did not answer in time');
    expect(resultReason('vi', offline!)).toBe('Máy không kết nối với console');
    expect(resultReason('en', done!)).toBe('');
  });

  it('translates every reason code the console gives, and never shows a bare code in Vietnamese', () => {
    const codes = ['timeout', 'disconnected', 'not-found', 'busy', 'command-failed', 'command-unsupported'];
    for (const code of codes) {
      const result: MachineResult = { machineId: 'm', name: 'PC-1', status: 'failed', reason: code };
      const vi = resultReason('vi', result);
      const en = resultReason('en', result);
      expect(vi, code).not.toContain(code);
      expect(en, code).not.toContain(code);
      expect(vi, code).not.toBe(en);
      expect(Object.keys(reasonKeys)).toContain(code);
    }
    // A code this console does not know yet is still a sentence, naming the code for IT staff.
    const unknown: MachineResult = { machineId: 'm', name: 'PC-1', status: 'failed', reason: 'x11-grab-lost' };
    expect(resultReason('vi', unknown)).toBe('Máy báo lỗi (x11-grab-lost)');
    expect(resultReason('en', unknown)).toBe('The PC reported an error (x11-grab-lost)');
  });

  it('shows what the PC said only as a detail, under the translated reason', () => {
    const result: MachineResult = { machineId: 'm', name: 'PC-3', status: 'failed', reason: 'command-failed', detail: 'cannot grab the keyboard: AlreadyGrabbed' };
    expect(resultReason('vi', result)).toBe('Máy báo lỗi khi thực hiện lệnh');
    expect(resultDetail(result)).toBe('cannot grab the keyboard: AlreadyGrabbed');
    expect(resultDetail({ machineId: 'm', name: 'PC-1', status: 'done' })).toBe('');
  });

  it('explains a lock the PC could not show in both languages, with the PC’s own words only as detail', () => {
    const result: MachineResult = { machineId: 'm-1', name: 'PC-1', status: 'failed', reason: 'lock-not-shown', detail: 'cannot use X display :7: connect ENOENT /tmp/.X11-unix/X7' };
    expect(resultReason('vi', result)).toMatch(/^Không hiện được màn hình khoá/);
    expect(resultReason('en', result)).toMatch(/^The lock could not be shown/);
    expect(resultReason('en', result)).not.toContain('X display');
    expect(resultDetail(result)).toBe('cannot use X display :7: connect ENOENT /tmp/.X11-unix/X7');
  });
});
