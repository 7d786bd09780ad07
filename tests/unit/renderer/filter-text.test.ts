// How web filtering reads in the console: profile names in each language, category labels, PC
// states, and what the list sources mean for what is blocked.
import { describe, expect, it } from 'vitest';
import type { ListSourceView, MachineFilterStatus } from '../../../src/shared/api/contract.js';
import { lessonAllowlistProfile, presetProfile } from '../../../src/shared/filtering/presets.js';
import {
  addsRestrictions,
  categoryLabel,
  isFilterProblem,
  listsNotice,
  machineFilterReason,
  profileLabel,
} from '../../../src/renderer/screens/filtering/filter-text.js';

function source(id: string, state: ListSourceView['status']['state'], thirdParty = true): ListSourceView {
  return {
    source: { type: 'ut1-category', id, category: id },
    origin: 'store',
    status: { state, label: id, thirdParty, lastSuccessAt: null, lastAttemptAt: null, lastError: null, bytes: null },
  };
}

function status(state: MachineFilterStatus['state'], reason?: string): MachineFilterStatus {
  return { machineId: 'm', labId: 'l', state, wantedProfileId: 'preset-thcs', profileId: null, mode: null, listSha256: null, listening: [], sentList: false, updatedAt: 1, ...(reason ? { reason } : {}) };
}

describe('web filtering texts', () => {
  it('names untouched presets in the UI language and IT staff’s own names as written', () => {
    expect(profileLabel('vi', presetProfile('thcs'))).toBe('THCS (11–15 tuổi)');
    expect(profileLabel('en', presetProfile('thcs'))).toBe('Lower secondary — THCS (11–15)');
    expect(profileLabel('en', lessonAllowlistProfile('lesson-allowlist', 'Chỉ trang học tập'))).toBe('Lesson sites only');
    expect(profileLabel('vi', { ...presetProfile('thpt'), name: 'Phòng 2 — THPT mở' })).toBe('Phòng 2 — THPT mở (THPT, 15–18 tuổi)');
    expect(profileLabel('vi', { id: 'p1', name: 'Kiểm tra học kỳ', ageBand: 'custom' })).toBe('Kiểm tra học kỳ');
  });

  it('labels categories in the UI language, and shows an unknown one as it is', () => {
    expect(categoryLabel('vi', 'social_networks')).toBe('Mạng xã hội');
    expect(categoryLabel('en', 'allowlist-only')).toBe('Not on the lesson allowlist');
    expect(categoryLabel('en', 'school-own-list')).toBe('school-own-list');
  });

  it('says when no third-party list has a copy, or how many lack one', () => {
    expect(listsNotice([source('adult', 'never-downloaded'), source('games', 'never-downloaded')])).toEqual({ kind: 'none', configured: 2 });
    expect(listsNotice([])).toEqual({ kind: 'none', configured: 0 });
    expect(listsNotice([source('adult', 'fresh'), source('games', 'never-downloaded'), source('mine', 'local', false)])).toEqual({ kind: 'partly', missing: 1, total: 2 });
    expect(listsNotice([source('adult', 'last-good'), source('games', 'stale')])).toBeNull();
  });

  it('knows which lesson profiles make a lab stricter', () => {
    const thcs = presetProfile('thcs');
    const allowlist = lessonAllowlistProfile('lesson-allowlist', 'Chỉ trang học tập');
    expect(addsRestrictions(thcs, allowlist)).toBe(true);
    expect(addsRestrictions(thcs, presetProfile('tieu-hoc'))).toBe(true);
    expect(addsRestrictions(thcs, presetProfile('thpt'))).toBe(false);
    expect(addsRestrictions(thcs, { ...presetProfile('thpt'), extraBlock: ['trochoi.example'] })).toBe(true);
    expect(addsRestrictions(allowlist, presetProfile('tieu-hoc'))).toBe(false);
    expect(addsRestrictions(allowlist, { ...allowlist, id: 'exam', allowCategories: [] })).toBe(true);
  });

  it('warns about PCs that should filter and do not, with a reason IT staff can act on', () => {
    expect(isFilterProblem(status('not-filtering', 'no-capability'))).toBe(true);
    expect(isFilterProblem(status('failed', 'timeout'))).toBe(true);
    expect(isFilterProblem(status('offline'))).toBe(false);
    expect(isFilterProblem(status('pending'))).toBe(false);
    expect(machineFilterReason('en', status('failed', 'timeout'))).toBe('The PC did not answer in time.');
    expect(machineFilterReason('vi', status('failed', 'something-new'))).toBe('Lỗi từ máy: something-new.');
    expect(machineFilterReason('vi', status('applied'))).toBeNull();
  });
});
