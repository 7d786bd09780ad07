// How web filtering reads in the console: profile names per language, age bands, category labels,
// each PC's filter state, and what the list sources (and the lists left out) mean for what is really blocked.
import type { LeftOutList, ListSourceView, MachineFilterStatus, ProfileRow } from '../../../shared/api/contract.js';
import type { AgeBand, FilterProfile, YoutubeMode } from '../../../shared/filtering/profile.js';
import { translate, type Language } from '../../../shared/i18n/index.js';
import { formatDateTime } from '../../format/format.js';

/** The built-in lesson profile (only lesson platforms open); see src/main/web-filtering/profiles.ts. */
export const lessonAllowlistProfileId = 'lesson-allowlist';

/** Presets shipped with SafeLab, by id: the name they are seeded with and their name in the UI. */
const builtInNames: Record<string, { seededName: string; key: string }> = {
  [lessonAllowlistProfileId]: { seededName: 'Chỉ trang học tập', key: 'ui.profile.name.lessonAllowlist' },
  'preset-tieu-hoc': { seededName: 'Tiểu học', key: 'ui.profile.name.tieuHoc' },
  'preset-thcs': { seededName: 'THCS', key: 'ui.profile.name.thcs' },
  'preset-thpt': { seededName: 'THPT', key: 'ui.profile.name.thpt' },
};

const ageBandKeys: Record<AgeBand, string> = {
  'tieu-hoc': 'ui.ageBand.tieuHoc',
  thcs: 'ui.ageBand.thcs',
  thpt: 'ui.ageBand.thpt',
  custom: 'ui.ageBand.custom',
};

type NamedProfile = Pick<FilterProfile, 'id' | 'name' | 'ageBand'>;

/** "THCS (11–15 tuổi)" for an untouched preset; IT staff's own names as they wrote them, with the age band. */
export function profileLabel(language: Language, profile: NamedProfile): string {
  const builtIn = builtInNames[profile.id];
  if (builtIn && builtIn.seededName === profile.name) return translate(language, builtIn.key);
  if (profile.ageBand === 'custom') return profile.name;
  return `${profile.name} (${translate(language, ageBandKeys[profile.ageBand])})`;
}

export function ageBandLabel(language: Language, ageBand: AgeBand): string {
  return translate(language, ageBandKeys[ageBand]);
}

const presetDescriptions: Record<string, string> = {
  [lessonAllowlistProfileId]: 'ui.profile.describe.lessonAllowlist',
  'preset-tieu-hoc': 'ui.profile.describe.tieuHoc',
  'preset-thcs': 'ui.profile.describe.thcs',
  'preset-thpt': 'ui.profile.describe.thpt',
};

/** One line on what a profile is for: the presets' intent, else its mode or age band; null when nothing to add. */
export function profileDescription(language: Language, profile: FilterProfile): string | null {
  const preset = presetDescriptions[profile.id];
  if (preset) return translate(language, preset);
  if (profile.mode === 'allowlist-only') return translate(language, 'ui.profile.describe.allowlistOnly');
  if (profile.ageBand === 'custom') return null;
  return translate(language, ageBandKeys[profile.ageBand]);
}

/** The category's name in the UI language; the raw name for a category we have no label for. */
export function categoryLabel(language: Language, category: string): string {
  const key = `filtering.category.${category}`;
  const text = translate(language, key);
  return text === key ? category : text;
}

const youtubeOrder: Record<YoutubeMode, number> = { off: 0, moderate: 1, strict: 2 };

/**
 * Whether a lesson profile adds anything to the lab baseline. A lesson never loosens the baseline
 * (the console tightens), so a profile that adds nothing would change nothing: the UI says so
 * instead of letting the teacher think the lab became stricter.
 */
export function addsRestrictions(baseline: FilterProfile, candidate: FilterProfile): boolean {
  if (candidate.mode === 'allowlist-only') {
    if (baseline.mode !== 'allowlist-only') return true;
    // Both allow only their lists: the lesson narrows it when it leaves out something the baseline allows.
    const allows = new Set([...candidate.allowCategories, ...candidate.extraAllow.map((n) => n.toLowerCase())]);
    return [...baseline.allowCategories, ...baseline.extraAllow.map((n) => n.toLowerCase())].some((a) => !allows.has(a));
  }
  if (baseline.mode === 'allowlist-only') return false;
  const blocked = new Set(baseline.blockedCategories);
  if (candidate.blockedCategories.some((c) => !blocked.has(c))) return true;
  const extra = new Set(baseline.extraBlock.map((n) => n.toLowerCase()));
  if (candidate.extraBlock.some((n) => !extra.has(n.toLowerCase()))) return true;
  if (candidate.safeSearch && !baseline.safeSearch) return true;
  return youtubeOrder[candidate.youtube] > youtubeOrder[baseline.youtube];
}

const presetOrder: Record<string, number> = { [lessonAllowlistProfileId]: 0, 'preset-tieu-hoc': 1, 'preset-thcs': 2, 'preset-thpt': 3 };

/** Lesson allowlist first, then the presets from strictest, then IT staff's own by name. */
export function sortProfiles(rows: Iterable<ProfileRow>, language: Language): ProfileRow[] {
  return [...rows].sort((a, b) => {
    const ra = presetOrder[a.profile.id] ?? 10;
    const rb = presetOrder[b.profile.id] ?? 10;
    if (ra !== rb) return ra - rb;
    return profileLabel(language, a.profile).localeCompare(profileLabel(language, b.profile), undefined, { numeric: true, sensitivity: 'base' });
  });
}

const stateKeys: Record<MachineFilterStatus['state'], string> = {
  applied: 'ui.filter.state.applied',
  pending: 'ui.filter.state.pending',
  sending: 'ui.filter.state.sending',
  failed: 'ui.filter.state.failed',
  'not-filtering': 'ui.filter.state.notFiltering',
  offline: 'ui.filter.state.offline',
};

const reasonKeys: Record<string, string> = {
  timeout: 'ui.filter.reason.timeout',
  disconnected: 'ui.filter.reason.disconnected',
  'no-capability': 'ui.filter.reason.noCapability',
  'no-dns-listener': 'ui.filter.reason.noDnsListener',
  'list-not-ready': 'ui.filter.reason.listNotReady',
  'filter-list-corrupt': 'ui.filter.reason.listCorrupt',
  'filter-list-missing': 'ui.filter.reason.listMissing',
  'filter-rejected': 'ui.filter.reason.rejected',
  'filter-unavailable': 'ui.filter.reason.unavailable',
};

export function machineFilterStateText(language: Language, status: MachineFilterStatus): string {
  return translate(language, stateKeys[status.state]);
}

/** Why a PC is not (yet) filtering, as IT staff should read it; null when there is nothing to say. */
export function machineFilterReason(language: Language, status: MachineFilterStatus): string | null {
  if (!status.reason) return null;
  // The filtering catalogue may know the agent's code better than we do.
  const shared = `filtering.reason.${status.reason}`;
  const sharedText = translate(language, shared);
  if (sharedText !== shared) return sharedText;
  const key = reasonKeys[status.reason];
  return key ? translate(language, key) : translate(language, 'ui.filter.reason.other', { code: status.reason });
}

/** A PC that should filter and does not: shown as a warning on its tile. */
export function isFilterProblem(status: MachineFilterStatus | undefined): boolean {
  return status !== undefined && (status.state === 'not-filtering' || status.state === 'failed');
}

/**
 * A PC that filters, with a gap programs can go through (its DNS firewall is not in force): shown
 * apart from the PCs that filter nothing, so neither is taken for the other.
 */
export function isFilterBypassable(status: MachineFilterStatus | undefined): boolean {
  return status !== undefined && status.warning !== undefined && !isFilterProblem(status) && status.state !== 'offline';
}

/** What a PC's filter leaves open, as IT staff should read it; null when nothing. */
export function machineFilterWarning(language: Language, status: MachineFilterStatus): string | null {
  if (!status.warning) return null;
  const key = `filtering.warning.${status.warning}`;
  const text = translate(language, key);
  return text !== key ? text : translate(language, 'ui.filter.warning.other', { code: status.warning });
}

/** A PC's filter in one line for its details: the state, then why it does not filter or what it leaves open. */
export function machineFilterSummary(language: Language, status: MachineFilterStatus): string {
  return [machineFilterStateText(language, status), machineFilterReason(language, status), machineFilterWarning(language, status)].filter(Boolean).join(' — ');
}

/** "3 lần (máy đã tự đặt lại), lần cuối lúc …" when the PC's DNS setting was changed behind its filter; null when never. */
export function resolverDriftText(language: Language, status: MachineFilterStatus): string | null {
  const drift = status.resolverDrift;
  if (!drift || drift.count === 0) return null;
  return translate(language, 'ui.details.resolverDriftValue', { count: drift.count, date: formatDateTime(language, drift.lastAt) });
}

/**
 * What the third-party lists mean for blocking now:
 * - none: no third-party list has a usable copy (never downloaded, or none configured), so only
 *   SafeLab's own lists block (encrypted DNS, lesson allowlist, SafeSearch, extra names);
 * - partly: some have a copy, `missing` of `total` do not;
 * - null: every third-party list has a copy in use.
 */
export type ListsNotice = { kind: 'none'; configured: number } | { kind: 'partly'; missing: number; total: number } | null;

const usableStates = new Set(['fresh', 'stale', 'last-good', 'local']);

export function listsNotice(sources: readonly ListSourceView[]): ListsNotice {
  const thirdParty = sources.filter((s) => s.status.thirdParty);
  const usable = thirdParty.filter((s) => usableStates.has(s.status.state));
  if (usable.length === 0) return { kind: 'none', configured: thirdParty.length };
  const missing = thirdParty.length - usable.length;
  return missing > 0 ? { kind: 'partly', missing, total: thirdParty.length } : null;
}

/** Why the compiler left a list out of the filter, in the UI language; the raw kind for one this console has no text for. */
export function leftOutText(language: Language, list: LeftOutList): string {
  const key = `filtering.compile.${list.kind}`;
  const text = translate(language, key, { category: list.category });
  return text === key ? `${list.category}: ${list.kind}` : text;
}

/** "a, b, c và 4 mục khác" (or "… và 4 máy khác" for PCs): at most `shown` labels, then how many more. */
export function listSome(language: Language, labels: string[], what: 'items' | 'machines' = 'items', shown = 4): string {
  if (labels.length <= shown) return labels.join(', ');
  const key = what === 'machines' ? 'ui.filter.andMoreMachines' : 'ui.filter.andMore';
  return translate(language, key, { items: labels.slice(0, shown).join(', '), count: labels.length - shown });
}
