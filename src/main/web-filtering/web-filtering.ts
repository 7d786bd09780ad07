// The console side of web filtering as one unit: profiles (presets seeded, IT edits audited), what
// each lab enforces (baseline, tightened by a lesson), the compiled list and its sources, pushing
// both to every agent, and the blocked attempts agents report. The API handlers and the agent hub
// call in here; the agent side is src/agent/web-filtering.ts.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  BlockedAttempt,
  FilterChange,
  FilterListsState,
  FilterProfileBody,
  LabFilter,
  Lesson,
  ListSourceView,
  MachineFilterStatus,
  ProfileRow,
} from '../../shared/api/contract.js';
import { dohProvidersCategory, lessonPlatformsCategory } from '../../shared/filtering/categories.js';
import type { ListSource } from '../../shared/filtering/list-sources.js';
import { normaliseName } from '../../shared/filtering/names.js';
import { compilePolicy } from '../../shared/filtering/policy.js';
import { alwaysBlockedCategories, presetProfile } from '../../shared/filtering/presets.js';
import type { FilterProfile } from '../../shared/filtering/profile.js';
import type { AgentMessage, AgentState } from '../../shared/protocol/messages.js';
import type { AgentConnection } from '../agent-hub/connection.js';
import type { AgentHub } from '../agent-hub/hub.js';
import { ApiError } from '../api/errors.js';
import type { EventBus } from '../api/events.js';
import type { Lessons } from '../lessons/lessons.js';
import { newId } from '../store/ids.js';
import type { BlockedQuery } from '../store/blocked-attempts.js';
import type { MachineRecord, Store } from '../store/index.js';
import { BlockedIntake } from './blocked.js';
import { FilterLists, type CurrentList, type SourceEntry } from './lists.js';
import { checkNewSource } from './source-checks.js';
import {
  builtInProfiles,
  defaultBaselineProfileId,
  effectiveProfile,
  missingAlwaysBlocked,
  profileChanges,
  profileFromBody,
  profileKey,
} from './profiles.js';
import { addAgentReport, agentFilterOf, FilterPush, notFilteringReason, type WantedProfile } from './push.js';

/** Setting: download third-party lists on the schedule (off until IT staff turn it on). */
export const autoRefreshSetting = 'filtering.autoRefresh';
/** Setting: the default UT1 sources were added once (IT staff may remove them for good). */
const sourcesSeededSetting = 'filtering.sourcesSeeded';
/** Id of the source SAFELAB_LISTS_DIR adds for this run. */
export const environmentSourceId = 'ut1-local';
/** How long labs.setBaselineProfile / lessons.setProfile wait for the PCs before answering. */
export const filterChangeWaitMs = 10_000;
/** Missing-category answers kept (per profile × list); labs are few. */
const maxCachedPolicies = 64;

export interface WebFilteringOptions {
  store: Store;
  hub: AgentHub;
  lessons: Lessons;
  events: EventBus;
  log(line: string): void;
  dataDir: string;
  /** Ack timeout for profile switches (the console's command timeout). */
  commandTimeoutMs: number;
  /** A UT1 folder or tarball read in addition to the configured sources (SAFELAB_LISTS_DIR). */
  listsDir?: string;
  /** Our own lists (default: the shipped resources/lists). */
  ownListsDir?: string;
  /** Overrides the stored auto-refresh setting for this run. */
  autoRefresh?: boolean;
}

/** UT1 categories the presets block (our own lists excepted): the sources a new console starts with. */
export function defaultUt1Categories(): string[] {
  const categories = new Set<string>();
  for (const band of ['tieu-hoc', 'thcs', 'thpt'] as const) for (const category of presetProfile(band).blockedCategories) categories.add(category);
  categories.delete(dohProvidersCategory);
  categories.delete(lessonPlatformsCategory);
  return [...categories];
}

async function environmentSource(listsDir: string | undefined): Promise<SourceEntry | null> {
  if (!listsDir) return null;
  const full = path.resolve(listsDir);
  const info = await stat(full).catch(() => null);
  const source: ListSource = info?.isFile() ? { type: 'ut1-tarball', id: environmentSourceId, path: full } : { type: 'ut1-folder', id: environmentSourceId, path: full };
  return { source, origin: 'environment' };
}

export class WebFiltering {
  private readonly options: WebFilteringOptions;
  private readonly lists: FilterLists;
  private readonly push: FilterPush;
  private readonly blockedIntake: BlockedIntake;
  private environment: SourceEntry | null = null;
  private readonly pendingLabs = new Set<string | null>();
  private flushTimer: NodeJS.Immediate | null = null;
  private readonly missingCache = new Map<string, string[]>();
  private closed = false;

  constructor(options: WebFilteringOptions) {
    this.options = options;
    const { store, events, hub, log } = options;
    const autoRefresh = options.autoRefresh ?? store.settings.readSetting<boolean>(autoRefreshSetting) ?? false;
    this.lists = new FilterLists({
      dataDir: options.dataDir,
      sources: () => this.sourceEntries(),
      ...(options.ownListsDir !== undefined ? { ownListsDir: options.ownListsDir } : {}),
      log,
      autoRefresh,
      changed: (state) => {
        if (!this.closed) events.emit({ type: 'filter.lists', lists: state });
      },
      newList: (list) => this.onNewList(list),
    });
    this.push = new FilterPush({
      hub,
      events,
      log,
      currentList: () => this.lists.current,
      wanted: (labId) => this.wanted(labId),
      commandTimeoutMs: options.commandTimeoutMs,
    });
    this.blockedIntake = new BlockedIntake({ store, events, log });
  }

  /** Seeds the presets and default sources on first run, loads the cached list and starts compiling. */
  async start(): Promise<void> {
    this.seed();
    this.environment = await environmentSource(this.options.listsDir);
    if (this.environment) this.options.log(`web-filtering: also reading UT1 lists from ${path.resolve(this.options.listsDir!)}`);
    this.blockedIntake.start();
    await this.lists.start();
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    this.lists.close();
    this.push.close();
    this.blockedIntake.close();
  }

  // ---- agent hub hooks -------------------------------------------------------------------------

  machineReady(connection: AgentConnection): void {
    void this.push.machineReady(connection);
  }

  noteAck(connection: AgentConnection, ack: Extract<AgentMessage, { type: 'ack' }>): void {
    this.push.noteAck(connection, ack);
  }

  onBlocked(connection: AgentConnection, message: Extract<AgentMessage, { type: 'blocked' }>): void {
    this.blockedIntake.onReport(connection, message);
  }

  disconnected(connection: AgentConnection): void {
    this.push.disconnected(connection);
  }

  /**
   * The agent's filter changed on its own: its system resolver was changed behind it (and pointed
   * back), or a problem began or ended. Recorded as the PC's state; its status follows.
   */
  onFilterStatus(connection: AgentConnection, message: Extract<AgentMessage, { type: 'filterStatus' }>): void {
    if (!connection.helloReceived) return;
    const before = agentFilterOf(connection);
    let state: AgentState;
    try {
      state = { ...(JSON.parse(connection.stateJson) as AgentState), filter: message.filter };
    } catch {
      return;
    }
    const pc = `${this.options.store.machines.findMachine(connection.machineId)?.name ?? '?'} ${connection.label}`;
    const drift = message.filter.resolverDrift;
    if (drift && drift.count > (before?.resolverDrift?.count ?? 0)) {
      this.options.log(`web-filtering: ${pc}: its DNS setting was changed behind the filter and pointed back (${drift.count} time(s) since the agent started)`);
    }
    const problem = message.filter.problem;
    if (problem && problem.code !== before?.problem?.code) this.options.log(`web-filtering: ${pc}: not protected: ${problem.code} (${problem.detail})`);
    if (!problem && before?.problem) this.options.log(`web-filtering: ${pc}: ${before.problem.code} is over`);
    this.options.hub.updateState(connection, state);
    void this.push.filterStatusChanged(connection);
  }

  // ---- changes from the rest of the console ----------------------------------------------------

  /** A lesson started or ended in the lab (or anything else changed what it enforces): push soon. */
  labChanged(labId: string | null): void {
    if (this.closed) return;
    this.pendingLabs.add(labId);
    // Coalesced to the next turn: lessons.start with a profile records both before one push.
    this.flushTimer ??= setImmediate(() => {
      this.flushTimer = null;
      const labs = [...this.pendingLabs];
      this.pendingLabs.clear();
      for (const lab of labs) {
        if (lab !== null) this.publishLab(lab);
        void this.push.pushLab(lab);
      }
    });
  }

  /** A PC moved to another lab: it now enforces that lab's profile. */
  machineMoved(machineId: string): void {
    void this.push.pushMachine(machineId);
  }

  // ---- what a lab enforces ---------------------------------------------------------------------

  private runningLesson(labId: string | null): Lesson | null {
    if (labId === null) return null;
    return this.options.lessons.runningLessons().find((lesson) => lesson.labId === labId) ?? null;
  }

  private baselineId(labId: string | null): { id: string; isDefault: boolean } {
    const chosen = labId ? this.options.store.filterAssignments.labBaseline(labId)?.profileId : null;
    return chosen ? { id: chosen, isDefault: false } : { id: defaultBaselineProfileId, isDefault: true };
  }

  private profileOrNull(profileId: string): FilterProfile | null {
    return this.options.store.profiles.findProfile(profileId)?.profile ?? null;
  }

  private lessonProfileId(lesson: Lesson | null): string | null {
    return lesson ? (this.options.store.filterAssignments.lessonProfile(lesson.id)?.profileId ?? null) : null;
  }

  /** The profile the lab's PCs must enforce now. */
  wanted(labId: string | null): WantedProfile {
    const baseline = this.profileOrNull(this.baselineId(labId).id) ?? presetProfile('thcs');
    const lessonProfileId = this.lessonProfileId(this.runningLesson(labId));
    const lessonProfile = lessonProfileId ? this.profileOrNull(lessonProfileId) : null;
    const profile = effectiveProfile(baseline, lessonProfile);
    return { profile, key: profileKey(profile) };
  }

  labView(labId: string): LabFilter {
    const baseline = this.baselineId(labId);
    const lesson = this.runningLesson(labId);
    const { profile, key } = this.wanted(labId);
    return {
      labId,
      baselineProfileId: baseline.id,
      baselineIsDefault: baseline.isDefault,
      lessonId: lesson?.id ?? null,
      lessonProfileId: this.lessonProfileId(lesson),
      effective: {
        id: profile.id,
        name: profile.name,
        mode: profile.mode,
        safeSearch: profile.safeSearch,
        youtube: profile.youtube,
        blockResponse: profile.blockResponse,
      },
      missingCategories: this.missingCategories(profile, key),
    };
  }

  /** Categories the profile names that the compiled list lacks (never downloaded, removed source…). */
  private missingCategories(profile: FilterProfile, key: string): string[] {
    const list = this.lists.current;
    if (!list) return [...new Set([...profile.blockedCategories, ...profile.allowCategories])];
    const cacheKey = `${key}/${list.sha256}`;
    let missing = this.missingCache.get(cacheKey);
    if (!missing) {
      missing = [...compilePolicy(list.matcher, profile).missingCategories];
      if (this.missingCache.size >= maxCachedPolicies) this.missingCache.clear();
      this.missingCache.set(cacheKey, missing);
    }
    return missing;
  }

  private publishLab(labId: string): void {
    if (this.options.store.labs.findLab(labId)) this.options.events.emit({ type: 'filter.lab', lab: this.labView(labId) });
  }

  private allLabIds(): string[] {
    return this.options.store.labs.listLabs().map((lab) => lab.id);
  }

  /** Publishes the lab, pushes to its PCs and answers with where they stand (bounded wait). */
  private async changeLab(labId: string): Promise<FilterChange> {
    const lab = this.labView(labId);
    this.options.events.emit({ type: 'filter.lab', lab });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.push.pushLab(labId), new Promise<void>((resolve) => (timer = setTimeout(resolve, filterChangeWaitMs)))]);
    clearTimeout(timer);
    return { lab, machines: this.machineStatuses(labId) };
  }

  /** After a profile edit: every lab may be affected; PCs already on the rules are skipped. */
  private refreshAllLabs(): Promise<void> {
    const labs = this.allLabIds();
    for (const labId of labs) this.publishLab(labId);
    return Promise.all([...labs, null].map((labId) => this.push.pushLab(labId))).then(() => undefined);
  }

  private onNewList(list: CurrentList): void {
    if (this.closed) return;
    this.missingCache.clear();
    this.options.events.emit({ type: 'filter.lists', lists: this.lists.state() });
    for (const labId of this.allLabIds()) this.publishLab(labId);
    this.options.log(`web-filtering: pushing list ${list.sha256.slice(0, 12)} to every PC that filters`);
    void this.push.pushAll();
  }

  machineStatuses(labId?: string): MachineFilterStatus[] {
    const wantedByLab = new Map<string | null, string>();
    const wantedId = (lab: string | null): string => {
      let id = wantedByLab.get(lab);
      if (id === undefined) wantedByLab.set(lab, (id = this.wanted(lab).profile.id));
      return id;
    };
    return this.options.store.machines.listMachines(labId).map((record) => this.push.statusOf(record.id) ?? this.offlineStatus(record, wantedId(record.labId)));
  }

  private offlineStatus(record: MachineRecord, wantedProfileId: string): MachineFilterStatus {
    const filter = record.state.filter;
    const online = this.options.hub.isOnline(record.id);
    // Online but not past hello yet, or never able to filter: say which.
    const reason = online ? notFilteringReason(this.options.hub.connectionOf(record.id)?.capabilities ?? [], filter) : null;
    const status: MachineFilterStatus = {
      machineId: record.id,
      labId: record.labId,
      state: online ? (reason ? 'not-filtering' : 'pending') : 'offline',
      wantedProfileId,
      profileId: filter?.profileId ?? null,
      mode: filter?.mode ?? null,
      listSha256: filter?.listSha256 ?? null,
      listening: filter?.listening ?? [],
      sentList: false,
      updatedAt: record.lastSeenAt ?? record.enrolledAt,
    };
    if (reason) status.reason = reason;
    addAgentReport(status, filter);
    return status;
  }

  // ---- profiles --------------------------------------------------------------------------------

  listProfiles(): { profiles: ProfileRow[]; alwaysBlockedCategories: string[]; defaultBaselineProfileId: string } {
    return { profiles: this.options.store.profiles.listProfiles(), alwaysBlockedCategories: [...alwaysBlockedCategories], defaultBaselineProfileId };
  }

  requireProfile(profileId: string): ProfileRow {
    const row = this.options.store.profiles.findProfile(profileId);
    if (!row) throw new ApiError('not-found', 'errors.profileNotFound', { profile: profileId });
    return row;
  }

  private checkBody(body: FilterProfileBody): void {
    const missing = missingAlwaysBlocked(body);
    if (missing.length > 0) throw new ApiError('bad-request', 'errors.profileAlwaysBlocked', { categories: missing.join(', ') });
  }

  createProfile(body: FilterProfileBody, actor: string): ProfileRow {
    this.checkBody(body);
    const profile = profileFromBody(newId('profile'), body);
    const { store } = this.options;
    const row = store.transaction(() => {
      const created = store.profiles.createProfile(profile, { builtIn: false, actor });
      store.audit.recordAudit({ actor, action: 'profile.created', target: profile.id, details: { name: profile.name, changes: profileChanges(null, profile) } });
      return created;
    });
    this.options.events.emit({ type: 'profile.updated', profile: row });
    return row;
  }

  async updateProfile(profileId: string, body: FilterProfileBody, actor: string): Promise<ProfileRow> {
    const existing = this.requireProfile(profileId);
    this.checkBody(body);
    const profile = profileFromBody(profileId, body);
    const changes = profileChanges(existing.profile, profile);
    if (Object.keys(changes).length === 0) return existing;
    const { store } = this.options;
    const row = store.transaction(() => {
      const updated = store.profiles.updateProfile(profile, actor)!;
      store.audit.recordAudit({ actor, action: 'profile.updated', target: profileId, details: { name: profile.name, builtIn: existing.builtIn, changes } });
      return updated;
    });
    this.options.events.emit({ type: 'profile.updated', profile: row });
    this.options.log(`web-filtering: profile ${profileId} changed by ${actor}: ${Object.keys(changes).join(', ')}`);
    void this.refreshAllLabs();
    return row;
  }

  removeProfile(profileId: string, actor: string): boolean {
    const { store } = this.options;
    const existing = store.profiles.findProfile(profileId);
    if (!existing) return false;
    if (existing.builtIn) throw new ApiError('conflict', 'errors.profileBuiltIn', { name: existing.profile.name });
    const labs = store.filterAssignments.labsWithBaseline(profileId);
    const lessons = store.filterAssignments.runningLessonsWithProfile(profileId);
    if (labs.length > 0 || lessons.length > 0) {
      const names = labs.map((id) => store.labs.findLab(id)?.name ?? id);
      const where = [...names, ...(lessons.length > 0 ? [`${lessons.length} lesson(s)`] : [])].join(', ');
      throw new ApiError('conflict', 'errors.profileInUse', { name: existing.profile.name, where });
    }
    const removed = store.transaction(() => {
      store.filterAssignments.forgetProfileInEndedLessons(profileId);
      const done = store.profiles.removeProfile(profileId);
      if (done) store.audit.recordAudit({ actor, action: 'profile.removed', target: profileId, details: { name: existing.profile.name, changes: profileChanges(existing.profile, null) } });
      return done;
    });
    if (removed) this.options.events.emit({ type: 'profile.removed', profileId });
    return removed;
  }

  // ---- lab baseline and lesson profile ---------------------------------------------------------

  private requireLab(labId: string): void {
    if (!this.options.store.labs.findLab(labId)) throw new ApiError('not-found', 'errors.labNotFound', { lab: labId });
  }

  setBaseline(labId: string, profileId: string, actor: string): Promise<FilterChange> {
    this.requireLab(labId);
    this.requireProfile(profileId);
    const { store } = this.options;
    const from = this.baselineId(labId);
    store.transaction(() => {
      store.filterAssignments.setLabBaseline(labId, profileId, actor);
      store.audit.recordAudit({ actor, action: 'lab.baselineProfileChanged', target: labId, details: { from: from.isDefault ? null : from.id, to: profileId } });
    });
    return this.changeLab(labId);
  }

  /** Records the profile a lesson starts with (lessons.start); its push follows the lesson's own. */
  recordLessonProfile(lesson: Lesson, profileId: string, actor: string): void {
    this.requireProfile(profileId);
    const { store } = this.options;
    store.transaction(() => {
      store.filterAssignments.setLessonProfile(lesson.id, profileId, actor);
      store.audit.recordAudit({ actor, action: 'lesson.profileChanged', target: lesson.id, details: { labId: lesson.labId, from: null, to: profileId } });
    });
    this.labChanged(lesson.labId);
  }

  setLessonProfile(labId: string, profileId: string | null, actor: string): Promise<FilterChange> {
    this.requireLab(labId);
    const lesson = this.runningLesson(labId);
    if (!lesson) throw new ApiError('conflict', 'errors.noLessonRunning', { lab: this.options.store.labs.findLab(labId)?.name ?? labId });
    if (profileId !== null) this.requireProfile(profileId);
    const { store } = this.options;
    const from = this.lessonProfileId(lesson);
    store.transaction(() => {
      store.filterAssignments.setLessonProfile(lesson.id, profileId, actor);
      store.audit.recordAudit({ actor, action: 'lesson.profileChanged', target: lesson.id, details: { labId, from, to: profileId } });
    });
    return this.changeLab(labId);
  }

  // ---- status, record, checks ------------------------------------------------------------------

  async status(labId?: string): Promise<{ lists: FilterListsState; sources: ListSourceView[]; labs: LabFilter[]; machines: MachineFilterStatus[] }> {
    if (labId !== undefined) this.requireLab(labId);
    const labs = (labId !== undefined ? [labId] : this.allLabIds()).map((id) => this.labView(id));
    return { lists: this.lists.state(), sources: await this.lists.sourceViews(), labs, machines: this.machineStatuses(labId) };
  }

  blocked(query: BlockedQuery): { total: number; attempts: BlockedAttempt[]; byMachine: { machineId: string; count: number }[]; byCategory: { category: string; count: number }[] } {
    return this.options.store.blockedAttempts.query(query);
  }

  check(labId: string | null, name: string): { name: string; profileId: string; verdict: 'block' | 'allow' | 'pass'; category: string | null; safeSearchTarget: string | null } {
    if (labId !== null) this.requireLab(labId);
    const list = this.lists.current;
    if (!list) throw new ApiError('conflict', 'errors.filterListNotReady');
    const normal = normaliseName(name.trim());
    if (!normal.ok) throw new ApiError('bad-request', 'errors.filterNameInvalid', { name: name.slice(0, 253) });
    const { profile } = this.wanted(labId);
    const policy = compilePolicy(list.matcher, profile);
    const view = policy.match(normal.name);
    const verdict = policy.decide(view);
    return { name: normal.name, profileId: profile.id, verdict, category: policy.blockingCategory(view), safeSearchTarget: policy.safeSearchTarget(normal.name) };
  }

  // ---- list sources ----------------------------------------------------------------------------

  private sourceEntries(): SourceEntry[] {
    const stored: SourceEntry[] = this.options.store.listSources.listSources().map((source) => ({ source, origin: 'store' }));
    return this.environment ? [...stored, this.environment] : stored;
  }

  /** Adds a list source after checking it (a full path to a list, outside the data folder; not configured twice); the lists are rebuilt. */
  async addSource(source: ListSource, actor: string): Promise<ListSourceView[]> {
    const { store } = this.options;
    if (store.listSources.findSource(source.id) || source.id === environmentSourceId) throw new ApiError('conflict', 'errors.listSourceExists', { source: source.id });
    await checkNewSource(source, this.sourceEntries().map((entry) => entry.source), { dataDir: this.options.dataDir });
    // Checked again after the await: another add of the same id may have landed meanwhile.
    if (store.listSources.findSource(source.id)) throw new ApiError('conflict', 'errors.listSourceExists', { source: source.id });
    store.transaction(() => {
      store.listSources.addSource(source, actor);
      store.audit.recordAudit({ actor, action: 'lists.sourceAdded', target: source.id, details: { source } });
    });
    await this.lists.rebuild();
    return this.lists.sourceViews();
  }

  /** Removes a configured source (false when there is none); the one from SAFELAB_LISTS_DIR is refused. */
  async removeSource(sourceId: string, actor: string): Promise<boolean> {
    const { store } = this.options;
    if (sourceId === environmentSourceId && this.environment) throw new ApiError('conflict', 'errors.listSourceFromEnvironment', { source: sourceId });
    const source = store.listSources.findSource(sourceId);
    if (!source) return false;
    store.transaction(() => {
      store.listSources.removeSource(sourceId);
      store.audit.recordAudit({ actor, action: 'lists.sourceRemoved', target: sourceId, details: { source } });
    });
    await this.lists.rebuild();
    return true;
  }

  async refreshLists(): Promise<ListSourceView[]> {
    await this.lists.refreshNow();
    await this.lists.settled();
    return this.lists.sourceViews();
  }

  setAutoRefresh(enabled: boolean, actor: string): FilterListsState {
    const { store } = this.options;
    const from = store.settings.readSetting<boolean>(autoRefreshSetting) ?? false;
    store.transaction(() => {
      store.settings.writeSetting(autoRefreshSetting, enabled);
      if (from !== enabled) store.audit.recordAudit({ actor, action: 'lists.autoRefreshChanged', details: { from, to: enabled } });
    });
    this.lists.setAutoRefresh(enabled);
    return this.lists.state();
  }

  /** Resolves once no list build is running (tests, and callers that just changed sources). */
  listsSettled(): Promise<void> {
    return this.lists.settled();
  }

  // ---- first run -------------------------------------------------------------------------------

  private seed(): void {
    const { store } = this.options;
    store.transaction(() => {
      const now = Date.now();
      builtInProfiles().forEach((profile, order) => {
        if (store.profiles.findProfile(profile.id)) return;
        // One millisecond apart: lists show the presets youngest pupils first.
        store.profiles.createProfile(profile, { builtIn: true, actor: 'system', now: now + order });
        store.audit.recordAudit({ actor: 'system', action: 'profile.created', target: profile.id, details: { name: profile.name, builtIn: true } });
      });
      if (!store.settings.readSetting<boolean>(sourcesSeededSetting)) {
        for (const category of defaultUt1Categories()) {
          const id = `ut1-${category}`;
          if (!store.listSources.findSource(id)) store.listSources.addSource({ type: 'ut1-category', id, category }, 'system');
        }
        store.settings.writeSetting(sourcesSeededSetting, true);
      }
    });
  }
}
