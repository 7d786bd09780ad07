// How web filtering reads in the console: profile names in each language, category labels, PC
// states, and what the list sources mean for what is blocked.
import { describe, expect, it } from 'vitest';
import type { ListSourceView, MachineFilterStatus } from '../../../src/shared/api/contract.js';
import { formatDateTime } from '../../../src/renderer/format/format.js';
import { lessonAllowlistProfile, presetProfile } from '../../../src/shared/filtering/presets.js';
import {
  addsRestrictions,
  categoryLabel,
  isFilterBypassable,
  isFilterProblem,
  listsNotice,
  machineFilterReason,
  machineFilterSummary,
  machineFilterWarning,
  profileLabel,
  resolverDriftText,
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

  it('shows a PC that filters with a gap apart from one that filters nothing, in both languages', () => {
    const gap = { ...status('applied'), warning: 'firewall-failed', detail: 'nft: Operation not permitted' };
    expect(isFilterBypassable(gap)).toBe(true);
    expect(isFilterProblem(gap)).toBe(false);
    expect(machineFilterWarning('vi', gap)).toMatch(/^Không bật được tường lửa DNS .*đi vòng qua bộ lọc/);
    expect(machineFilterWarning('en', gap)).toMatch(/^Its DNS firewall could not be turned on .*go round the filter/);
    expect(machineFilterSummary('vi', gap)).toMatch(/^Đang lọc web — Không bật được tường lửa DNS/);
    expect(machineFilterSummary('en', gap)).not.toMatch(/Not filtering/);
    // A warning this console has no words for still reads as one.
    expect(machineFilterWarning('en', { ...gap, warning: 'something-new' })).toBe('Warning from the PC: something-new.');
    // Offline, or not filtering at all: no "filtering with a gap".
    expect(isFilterBypassable({ ...gap, state: 'offline' })).toBe(false);
    expect(isFilterBypassable({ ...status('not-filtering', 'listen-failed'), warning: 'firewall-failed' })).toBe(false);
    expect(isFilterBypassable(status('applied'))).toBe(false);
    expect(machineFilterSummary('en', status('not-filtering', 'listen-failed'))).toMatch(/^Not filtering — The web filter on this PC could not start/);
  });

  it('says how often a PC’s DNS setting was changed behind its filter, and nothing when never', () => {
    const lastAt = new Date(2026, 10, 22, 9, 5).getTime();
    expect(resolverDriftText('vi', { ...status('applied'), resolverDrift: { count: 3, lastAt } })).toBe(`3 lần (máy đã tự đặt lại), lần cuối lúc ${formatDateTime('vi', lastAt)}`);
    expect(resolverDriftText('en', { ...status('applied'), resolverDrift: { count: 1, lastAt } })).toBe(`1× (the PC pointed it back), last at ${formatDateTime('en', lastAt)}`);
    expect(formatDateTime('vi', lastAt)).toMatch(/09:05.*22/);
    expect(resolverDriftText('en', { ...status('applied'), resolverDrift: { count: 0, lastAt } })).toBeNull();
    expect(resolverDriftText('en', status('applied'))).toBeNull();
  });
});
