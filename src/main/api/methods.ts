// The console API's behaviour: one handler per method of `apiMethods`, each taking input that its
// schema already validated. Transports (in-process for Electron IPC, HTTP for web mode and the IT
// command line) only carry these calls.

import type { z } from 'zod';
import type { ApiMethod, ApiOutput, ConsoleStatus, Enrolment, apiMethods } from '../../shared/api/contract.js';
import { deriveEnrolmentKey, generateEnrolmentCode, toBase64 } from '../../shared/auth/enrolment.js';
import type { AgentHub } from '../agent-hub/hub.js';
import type { Commands } from '../commands/commands.js';
import type { Lessons } from '../lessons/lessons.js';
import type { EnrolmentRecord, MachineRecord, Store } from '../store/index.js';
import type { ThumbnailScheduler } from '../thumbnails/scheduler.js';
import type { WebFiltering } from '../web-filtering/web-filtering.js';
import { ApiError } from './errors.js';
import type { EventBus } from './events.js';

/** Who called: goes to the audit log ("teacher:<OS account>" from the UI, "cli:<OS account>" from the IT command line; see actor.ts). */
export interface Caller {
  actor: string;
  /**
   * Which client: one browser tab ('web:<id>'), the desktop window ('desktop'), or shared ('web'
   * for clients that name none, like the IT command line). Per-client choices (which PC is watched
   * large) are kept per session.
   */
  session?: string;
}

export type ApiHandlers = {
  [M in ApiMethod]: (input: z.output<(typeof apiMethods)[M]['input']>, caller: Caller) => Promise<ApiOutput<M>>;
};

export interface ApiContext {
  store: Store;
  hub: AgentHub;
  commands: Commands;
  lessons: Lessons;
  thumbnails: ThumbnailScheduler;
  events: EventBus;
  status(): ConsoleStatus;
  consoleUrls(): string[];
  consoleFingerprint: string;
  defaultLabId(): string | null;
  /** How long `machines.inventory` with refresh waits for a fresh inventory. */
  inventoryWaitMs: number;
  webFiltering: WebFiltering;
}

export function createApiHandlers(context: ApiContext): ApiHandlers {
  const { store, hub, commands, lessons, thumbnails, events, webFiltering } = context;

  function requireLab(labId: string) {
    const lab = store.labs.findLab(labId);
    if (!lab) throw new ApiError('not-found', 'errors.labNotFound', { lab: labId });
    return lab;
  }

  function requireMachine(machineId: string): MachineRecord {
    const record = store.machines.findMachine(machineId);
    if (!record || record.revokedAt !== null) throw new ApiError('not-found', 'errors.machineNotFound', { machine: machineId });
    return record;
  }

  function publishLab(labId: string | null): void {
    const lab = labId ? store.labs.findLab(labId) : null;
    if (lab) events.emit({ type: 'lab.updated', lab });
  }

  function enrolmentView(record: EnrolmentRecord): Enrolment {
    const consoleUrls = context.consoleUrls();
    return {
      id: record.id,
      code: record.code,
      labId: record.labId,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      consoleUrls,
      file: {
        format: 'safelab-enrolment',
        version: 1,
        consoleUrl: consoleUrls[0]!,
        consoleFingerprint: context.consoleFingerprint,
        code: record.code,
        labId: record.labId,
        expiresAt: record.expiresAt,
      },
    };
  }

  return {
    async 'console.status'() {
      return context.status();
    },

    async 'labs.list'() {
      return store.labs.listLabs();
    },

    async 'labs.create'({ name }, caller) {
      if (store.labs.findLabByName(name)) throw new ApiError('conflict', 'errors.labNameTaken', { name });
      const lab = store.transaction(() => {
        const created = store.labs.createLab(name);
        store.audit.recordAudit({ actor: caller.actor, action: 'lab.created', target: created.id, details: { name } });
        return created;
      });
      events.emit({ type: 'lab.updated', lab });
      return lab;
    },

    async 'labs.rename'({ labId, name }, caller) {
      const lab = requireLab(labId);
      const other = store.labs.findLabByName(name);
      if (other && other.id !== labId) throw new ApiError('conflict', 'errors.labNameTaken', { name });
      const renamed = store.transaction(() => {
        store.audit.recordAudit({ actor: caller.actor, action: 'lab.renamed', target: labId, details: { from: lab.name, to: name } });
        return store.labs.renameLab(labId, name)!;
      });
      events.emit({ type: 'lab.updated', lab: renamed });
      return renamed;
    },

    async 'machines.list'({ labId }) {
      if (labId !== undefined) requireLab(labId);
      return store.machines.listMachines(labId).map((record) => hub.machineView(record));
    },

    async 'machines.rename'({ machineId, name }, caller) {
      const record = requireMachine(machineId);
      store.transaction(() => {
        store.machines.renameMachine(machineId, name);
        store.audit.recordAudit({ actor: caller.actor, action: 'machine.renamed', target: machineId, details: { from: record.name, to: name } });
      });
      hub.publishMachine(machineId);
      return hub.machineView(requireMachine(machineId));
    },

    async 'machines.move'({ machineId, labId }, caller) {
      const record = requireMachine(machineId);
      requireLab(labId);
      store.transaction(() => {
        store.machines.moveMachine(machineId, labId);
        store.audit.recordAudit({ actor: caller.actor, action: 'machine.moved', target: machineId, details: { from: record.labId, to: labId } });
      });
      hub.machineMoved(machineId, labId);
      const connection = hub.connectionOf(machineId);
      if (connection?.helloReceived && record.labId !== labId) {
        lessons.machineMoved(connection);
        webFiltering.machineMoved(machineId);
      }
      hub.publishMachine(machineId);
      publishLab(record.labId);
      publishLab(labId);
      return hub.machineView(requireMachine(machineId));
    },

    async 'machines.remove'({ machineId }, caller) {
      const record = store.machines.findMachine(machineId);
      const removed = store.transaction(() => {
        const done = store.machines.removeMachine(machineId);
        if (done) {
          store.audit.recordAudit({
            actor: caller.actor,
            action: 'machine.removed',
            target: machineId,
            details: { name: record?.name ?? '', hostname: record?.hostname ?? '' },
          });
        }
        return done;
      });
      if (removed) {
        hub.disconnectRevoked(machineId);
        events.emit({ type: 'machine.removed', machineId });
        publishLab(record?.labId ?? null);
      }
      return { removed };
    },

    async 'machines.inventory'({ machineId, refresh }) {
      requireMachine(machineId);
      const connection = hub.connectionOf(machineId);
      if (refresh && connection?.helloReceived) {
        // Listen before asking: the agent may send the inventory before its ack.
        const fresh = hub.nextInventory(machineId, context.inventoryWaitMs);
        const ack = await commands.sendAndWait(connection, { name: 'refreshInventory' });
        if (ack.ok) {
          const inventory = await fresh;
          if (inventory) return inventory;
        }
      }
      return store.machines.inventoryOf(machineId);
    },

    async 'enrolment.create'({ labId, ttlMinutes }, caller) {
      const targetLab = labId === null ? context.defaultLabId() : requireLab(labId).id;
      const code = generateEnrolmentCode();
      // Stretched once here, so checking an agent's proof later costs one HMAC per live code.
      const derivedKey = toBase64(await deriveEnrolmentKey(code));
      const record = store.transaction(() => {
        store.enrolments.forgetExpiredSecrets();
        const created = store.enrolments.createEnrolment({ code, derivedKey, labId: targetLab, ttlMs: ttlMinutes * 60_000 });
        // The code itself stays out of the audit log: the log outlives the code's secrecy needs.
        store.audit.recordAudit({
          actor: caller.actor,
          action: 'enrolment.created',
          target: created.id,
          details: { labId: targetLab, expiresAt: created.expiresAt },
        });
        return created;
      });
      return enrolmentView(record);
    },

    async 'enrolment.active'() {
      return store.enrolments.activeEnrolments().map(enrolmentView);
    },

    async 'enrolment.revoke'({ enrolmentId }, caller) {
      if (!store.enrolments.findEnrolment(enrolmentId)) throw new ApiError('not-found', 'errors.enrolmentNotFound');
      const revoked = store.transaction(() => {
        const done = store.enrolments.revokeEnrolment(enrolmentId);
        if (done) store.audit.recordAudit({ actor: caller.actor, action: 'enrolment.revoked', target: enrolmentId });
        return done;
      });
      return { revoked };
    },

    async 'commands.run'({ machineIds, command }, caller) {
      return commands.run(machineIds, command, caller.actor);
    },

    async 'lessons.start'({ labId, className, teacher, profileId, language }, caller) {
      // Checked first: a lesson must not start without the profile the teacher asked for.
      if (profileId !== undefined) webFiltering.requireProfile(profileId);
      const lesson = lessons.start(labId, className, teacher, caller.actor, language);
      if (profileId !== undefined) webFiltering.recordLessonProfile(lesson, profileId, caller.actor);
      return lesson;
    },

    async 'lessons.end'({ labId }, caller) {
      return lessons.end(labId, caller.actor);
    },

    async 'lessons.active'() {
      return lessons.runningLessons();
    },

    async 'thumbnails.focus'({ machineId, screen }, caller) {
      if (machineId !== null) {
        const record = requireMachine(machineId);
        if (screen !== 'all' && !record.screens.some((s) => s.id === screen)) {
          throw new ApiError('bad-request', 'errors.screenNotFound', { machine: record.name, screen });
        }
      }
      thumbnails.focus(caller.session ?? caller.actor, machineId, screen);
      return { ok: true as const };
    },

    // ---- web filtering ----

    async 'profiles.list'() {
      return webFiltering.listProfiles();
    },

    async 'profiles.create'({ profile }, caller) {
      return webFiltering.createProfile(profile, caller.actor);
    },

    async 'profiles.update'({ profileId, profile }, caller) {
      return webFiltering.updateProfile(profileId, profile, caller.actor);
    },

    async 'profiles.remove'({ profileId }, caller) {
      return { removed: webFiltering.removeProfile(profileId, caller.actor) };
    },

    async 'labs.setBaselineProfile'({ labId, profileId }, caller) {
      return webFiltering.setBaseline(labId, profileId, caller.actor);
    },

    async 'lessons.setProfile'({ labId, profileId }, caller) {
      return webFiltering.setLessonProfile(labId, profileId, caller.actor);
    },

    async 'filtering.status'({ labId }) {
      return webFiltering.status(labId);
    },

    async 'filtering.blocked'({ lessonId, labId, machineId, from, to, limit }) {
      return webFiltering.blocked({
        limit,
        ...(lessonId !== undefined ? { lessonId } : {}),
        ...(labId !== undefined ? { labId } : {}),
        ...(machineId !== undefined ? { machineId } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
    },

    async 'filtering.check'({ labId, name }) {
      return webFiltering.check(labId, name);
    },

    async 'lists.add'({ source }, caller) {
      return webFiltering.addSource(source, caller.actor);
    },

    async 'lists.remove'({ sourceId }, caller) {
      return { removed: await webFiltering.removeSource(sourceId, caller.actor) };
    },

    async 'lists.refresh'() {
      return webFiltering.refreshLists();
    },

    async 'lists.setAutoRefresh'({ enabled }, caller) {
      return webFiltering.setAutoRefresh(enabled, caller.actor);
    },
  };
}
