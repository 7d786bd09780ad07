// The console API: one typed table of requests and one of events. The UI (renderer), the IT
// command line and the tests all use it. It is carried by Electron IPC in the desktop shell and
// by HTTP (POST /api/<method>) + a websocket event stream (/api/events) on loopback in web mode.
// Every request is validated against these schemas on the console side.

import { z } from 'zod';
import { listSourceSchema } from '../filtering/list-sources.js';
import { blockResponses, filterProfileSchema, profileModes, youtubeModes } from '../filtering/profile.js';
import { agentStateSchema, inventorySchema, screenInfoSchema } from '../protocol/messages.js';
import { maxMessageTextChars } from '../protocol/limits.js';

const id = z.string().min(1).max(64);
const name = z.string().trim().min(1).max(100);

// ---- domain rows (the shapes the store returns and the UI shows) -------------------------

export const labSchema = z.object({
  id,
  name: z.string(),
  createdAt: z.number(),
  machineCount: z.number().int(),
});
export type Lab = z.infer<typeof labSchema>;

export const machineSchema = z.object({
  id,
  labId: id.nullable(),
  /** Display name in the lab grid (defaults to the hostname; IT staff may rename). */
  name: z.string(),
  hostname: z.string(),
  os: z.string(),
  user: z.string().nullable(),
  agentVersion: z.string(),
  desktop: z.string(),
  screens: z.array(screenInfoSchema),
  enrolledAt: z.number(),
  lastSeenAt: z.number().nullable(),
  online: z.boolean(),
  state: agentStateSchema,
  remoteAddress: z.string().nullable(),
});
export type Machine = z.infer<typeof machineSchema>;

export const lessonSchema = z.object({
  id,
  labId: id,
  className: z.string(),
  teacher: z.string(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** Language of what students see during the lesson (the badge); the teacher's UI language at start. */
  language: z.enum(['vi', 'en']),
});
export type Lesson = z.infer<typeof lessonSchema>;

export const enrolmentFileSchema = z.object({
  format: z.literal('safelab-enrolment'),
  version: z.literal(1),
  /** wss://host:port/agent */
  consoleUrl: z.string().url(),
  /** SHA-256 fingerprint of the console certificate; the agent pins it. */
  consoleFingerprint: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
  code: z.string(),
  labId: id.nullable(),
  expiresAt: z.number(),
});
export type EnrolmentFile = z.infer<typeof enrolmentFileSchema>;

export const enrolmentSchema = z.object({
  id,
  code: z.string(),
  labId: id.nullable(),
  createdAt: z.number(),
  expiresAt: z.number(),
  /** Addresses an agent on another PC can use, best first. */
  consoleUrls: z.array(z.string()),
  file: enrolmentFileSchema,
});
export type Enrolment = z.infer<typeof enrolmentSchema>;

export const commandRequestSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('lock'), message: z.string().max(maxMessageTextChars).default('') }),
  z.object({ name: z.literal('unlock') }),
  z.object({ name: z.literal('showMessage'), text: z.string().trim().min(1).max(maxMessageTextChars) }),
]);
export type CommandRequest = z.infer<typeof commandRequestSchema>;

export const machineResultSchema = z.object({
  machineId: id,
  name: z.string(),
  status: z.enum(['done', 'failed', 'offline']),
  /**
   * Why it failed, as a code the UI translates: 'timeout', 'disconnected', 'not-found', or the
   * agent's error code ('busy', 'command-failed'…); absent when done.
   */
  reason: z.string().optional(),
  /** What the PC itself said about the failure, in its own words: shown only as a detail. */
  detail: z.string().optional(),
});
export type MachineResult = z.infer<typeof machineResultSchema>;

export const commandOutcomeSchema = z.object({
  commandId: id,
  command: z.string(),
  results: z.array(machineResultSchema),
  startedAt: z.number(),
  finishedAt: z.number(),
});
export type CommandOutcome = z.infer<typeof commandOutcomeSchema>;

export const consoleStatusSchema = z.object({
  version: z.string(),
  agentPort: z.number().int(),
  consoleFingerprint: z.string(),
  dataDir: z.string(),
  demo: z.boolean(),
  shell: z.enum(['electron', 'web']),
  thumbnailIntervalMs: z.number().int(),
});
export type ConsoleStatus = z.infer<typeof consoleStatusSchema>;

// ---- web filtering rows -----------------------------------------------------------------

/** A profile as IT staff edit it: everything but its id (fixed) and its floors (the console makes those). */
export const filterProfileBodySchema = filterProfileSchema.omit({ id: true, floors: true });
export type FilterProfileBody = z.infer<typeof filterProfileBodySchema>;

export const profileRowSchema = z.object({
  profile: filterProfileSchema,
  /** A preset shipped with SafeLab (Tiểu học, THCS, THPT, lesson allowlist): editable, never removable. */
  builtIn: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Who last changed it ('teacher', 'cli', 'system'). */
  updatedBy: z.string(),
});
export type ProfileRow = z.infer<typeof profileRowSchema>;

export const listSourceStateSchema = z.enum(['never-downloaded', 'fresh', 'stale', 'last-good', 'local', 'local-missing']);

export const listSourceViewSchema = z.object({
  source: listSourceSchema,
  /** 'store': configured by IT staff; 'environment': SAFELAB_LISTS_DIR of this console run. */
  origin: z.enum(['store', 'environment']),
  status: z.object({
    state: listSourceStateSchema,
    /** The URL or the path. */
    label: z.string(),
    /** Downloaded from someone else's server (UT1, any URL) or a UT1 copy on disk. */
    thirdParty: z.boolean(),
    /** ISO time of the copy in use (download, or file modification for local sources). */
    lastSuccessAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    /** The last download's failure: `messageKey` is an i18n key (filtering.download.*). */
    lastError: z.object({ code: z.string(), messageKey: z.string(), detail: z.string() }).nullable(),
    bytes: z.number().nullable(),
  }),
});
export type ListSourceView = z.infer<typeof listSourceViewSchema>;

/** Most example lines one list source carries to the UI and the CLI (the counts per reason are complete). */
export const maxProblemExamplesPerSource = 20;

/** A line of a list that could not be used: where, why (filtering.problem.<problem>) and what it said (cut short). */
export const listProblemExampleSchema = z.object({
  /** File inside the source (UT1: domains / urls / expressions), when it has several. */
  file: z.string().optional(),
  line: z.number().int(),
  problem: z.string(),
  text: z.string(),
});
export type ListProblemExample = z.infer<typeof listProblemExampleSchema>;

/** Most left-out lists one compiled list's info carries to the UI and the CLI (the total counts all). */
export const maxLeftOutListsShown = 50;

/**
 * A list the compiler left out of the build (its names filter nothing): why (`kind`: bad-category-name,
 * kind-conflict, too-many-categories; i18n filtering.compile.<kind> with {category}), the category it
 * was filed under, how many names it held, and the configured sources that bring that category
 * (lists.add ids; empty for SafeLab's own lists).
 */
export const leftOutListSchema = z.object({
  kind: z.string(),
  category: z.string(),
  names: z.number().int(),
  sourceIds: z.array(z.string()),
});
export type LeftOutList = z.infer<typeof leftOutListSchema>;

/** The compiled list the console pushes to agents. */
export const filterListInfoSchema = z.object({
  sha256: z.string(),
  bytes: z.number().int(),
  /** Fingerprints in the list (after folding subdomains under listed parents). */
  entries: z.number().int(),
  /** When it was compiled (ms since the epoch). */
  builtAt: z.number(),
  categories: z.array(z.object({ name: z.string(), kind: z.enum(['block', 'allow']), entries: z.number().int() })),
  stats: z.object({
    inputNames: z.number().int(),
    rejectedNames: z.number().int(),
    uniqueNames: z.number().int(),
    foldedNames: z.number().int(),
  }),
  /**
   * One per parsed list (our own lists first): names loaded and lines that could not be used, with
   * the count per reason (i18n: filtering.problem.<reason>) and the first few lines as examples
   * (a bounded sample per source: maxProblemExamplesPerSource).
   */
  reports: z.array(
    z.object({
      source: z.string(),
      /** The configured source it came from (lists.add id), or null for SafeLab's own lists. */
      sourceId: z.string().nullable(),
      format: z.string(),
      lines: z.number().int(),
      accepted: z.number().int(),
      bad: z.number().int(),
      skipped: z.number().int(),
      problems: z.record(z.string(), z.number().int()),
      examples: z.array(listProblemExampleSchema),
    }),
  ),
  /** Lists left out of the build, the first maxLeftOutListsShown of them, and how many in all. */
  leftOut: z.object({ total: z.number().int(), lists: z.array(leftOutListSchema) }),
});
export type FilterListInfo = z.infer<typeof filterListInfoSchema>;

export const filterListsStateSchema = z.object({
  /** Null until the first compile finished (a few seconds after the first start). */
  current: filterListInfoSchema.nullable(),
  building: z.boolean(),
  /** Why the last compile failed (the previous list stays in force), or null. */
  lastError: z.string().nullable(),
  /** Third-party lists are downloaded on a schedule only when IT staff turn this on. */
  autoRefresh: z.boolean(),
  /** The last download round (ms), or null when lists were never downloaded by this console. */
  lastRefreshAt: z.number().nullable(),
});
export type FilterListsState = z.infer<typeof filterListsStateSchema>;

/** A lab's filtering: its baseline, the running lesson's profile if any, and what is in force. */
export const labFilterSchema = z.object({
  labId: id,
  baselineProfileId: id,
  /** True when nobody chose a baseline for this lab: it uses the default (the THCS preset). */
  baselineIsDefault: z.boolean(),
  lessonId: id.nullable(),
  /** The stricter profile the running lesson switched to, or null (the baseline alone). */
  lessonProfileId: id.nullable(),
  effective: z.object({
    id,
    name: z.string(),
    mode: z.enum(profileModes),
    safeSearch: z.boolean(),
    youtube: z.enum(youtubeModes),
    blockResponse: z.enum(blockResponses),
  }),
  /** Categories the effective profile names that the compiled lists lack (never downloaded…): not filtered. */
  missingCategories: z.array(z.string()),
});
export type LabFilter = z.infer<typeof labFilterSchema>;

/**
 * applied: the PC enforces the lab's current profile with the current list (see `warning` for a gap
 * programs can go through); pending: a push is queued or waiting for its acknowledgement; sending:
 * the list is on its way; failed: see reason; not-filtering: the PC's web filter does not run or its
 * resolver does not use it; offline: not connected (it keeps its last filter).
 */
export const machineFilterStateSchema = z.enum(['applied', 'pending', 'sending', 'failed', 'not-filtering', 'offline']);
export type MachineFilterState = z.infer<typeof machineFilterStateSchema>;

export const machineFilterStatusSchema = z.object({
  machineId: id,
  labId: id.nullable(),
  state: machineFilterStateSchema,
  /**
   * Why (failed / not-filtering): the agent's error code (filter-list-corrupt, filter-rejected…),
   * 'timeout', 'disconnected', 'no-capability', 'no-dns-listener', or the agent's own problem
   * ('listen-failed', 'resolver-failed', 'resolver-contested'). i18n: filtering.reason.<reason>.
   */
  reason: z.string().optional(),
  /**
   * A gap in a filter that runs and that the PC's resolver uses, so the PC still counts as filtering:
   * 'firewall-failed' (its DNS firewall is not in force: programs that ask another DNS server
   * themselves, or use encrypted DNS, go round the filter). i18n: filtering.warning.<warning>.
   */
  warning: z.string().optional(),
  /** The agent's own words about its problem or warning (e.g. "cannot listen for DNS on 127.0.0.1:53 (EADDRINUSE)"), for IT staff. */
  detail: z.string().optional(),
  /** How often the PC's system resolver was changed behind the filter (and pointed back) since its agent started, and when last. */
  resolverDrift: z.object({ count: z.number().int(), lastAt: z.number() }).optional(),
  /** The profile the console wants in force on this PC. */
  wantedProfileId: z.string().nullable(),
  /** What the PC last reported. */
  profileId: z.string().nullable(),
  mode: z.enum(profileModes).nullable(),
  listSha256: z.string().nullable(),
  listening: z.array(z.string()),
  /** Whether the last push had to send the list (false: the PC already held it). */
  sentList: z.boolean(),
  updatedAt: z.number(),
});
export type MachineFilterStatus = z.infer<typeof machineFilterStatusSchema>;

export const filterChangeSchema = z.object({
  lab: labFilterSchema,
  /** Every PC of the lab after the push settled (or its time ran out). */
  machines: z.array(machineFilterStatusSchema),
});
export type FilterChange = z.infer<typeof filterChangeSchema>;

export const blockedAttemptSchema = z.object({
  id: z.number().int(),
  /** When the PC saw it (ms). */
  at: z.number(),
  machineId: id,
  labId: id.nullable(),
  lessonId: id.nullable(),
  /** The name asked for (never page content). */
  name: z.string(),
  /** The category that blocked it (a list category, custom-block, allowlist-only). */
  category: z.string(),
});
export type BlockedAttempt = z.infer<typeof blockedAttemptSchema>;

/** Most attempts one filtering.blocked answer lists (the counts cover every match). */
export const maxBlockedAttemptsPerQuery = 1000;

// ---- requests ---------------------------------------------------------------------------

/** Each method: input schema and output schema. */
export const apiMethods = {
  'console.status': { input: z.object({}), output: consoleStatusSchema },
  'labs.list': { input: z.object({}), output: z.array(labSchema) },
  'labs.create': { input: z.object({ name }), output: labSchema },
  'labs.rename': { input: z.object({ labId: id, name }), output: labSchema },
  'machines.list': { input: z.object({ labId: id.optional() }), output: z.array(machineSchema) },
  'machines.rename': { input: z.object({ machineId: id, name }), output: machineSchema },
  'machines.move': { input: z.object({ machineId: id, labId: id }), output: machineSchema },
  /** Removes the machine and revokes its key; a connected agent is disconnected at once. */
  'machines.remove': { input: z.object({ machineId: id }), output: z.object({ removed: z.boolean() }) },
  'machines.inventory': {
    input: z.object({ machineId: id, refresh: z.boolean().default(false) }),
    output: inventorySchema.nullable(),
  },
  'enrolment.create': {
    input: z.object({ labId: id.nullable().default(null), ttlMinutes: z.number().int().min(1).max(24 * 60).default(30) }),
    output: enrolmentSchema,
  },
  'enrolment.active': { input: z.object({}), output: z.array(enrolmentSchema) },
  'enrolment.revoke': { input: z.object({ enrolmentId: id }), output: z.object({ revoked: z.boolean() }) },
  'commands.run': {
    input: z.object({ machineIds: z.array(id).min(1).max(1000), command: commandRequestSchema }),
    output: commandOutcomeSchema,
  },
  'lessons.start': {
    input: z.object({
      labId: id,
      className: name,
      teacher: z.string().trim().max(100).default(''),
      /** A stricter web profile for this lesson (e.g. the lesson allowlist); the lab baseline still holds. */
      profileId: id.optional(),
      /** Language of the monitoring badge on student screens (default Vietnamese). */
      language: z.enum(['vi', 'en']).default('vi'),
    }),
    output: lessonSchema,
  },
  'lessons.end': { input: z.object({ labId: id }), output: lessonSchema.nullable() },
  'lessons.active': { input: z.object({}), output: z.array(lessonSchema) },
  /**
   * This client (browser tab or desktop window) shows a machine large: it refreshes faster, and
   * shows one monitor (`screen`, an id from the machine's screens) or the whole desktop ('all').
   * null returns it to the grid rate. Each client's choice is its own.
   */
  'thumbnails.focus': {
    input: z.object({ machineId: id.nullable(), screen: z.union([z.number().int().min(0).max(254), z.literal('all')]).default('all') }),
    output: z.object({ ok: z.literal(true) }),
  },

  // ---- web filtering ----
  /** Every profile, the categories no profile may unblock, and the baseline of labs nobody configured. */
  'profiles.list': {
    input: z.object({}),
    output: z.object({ profiles: z.array(profileRowSchema), alwaysBlockedCategories: z.array(z.string()), defaultBaselineProfileId: id }),
  },
  'profiles.create': { input: z.object({ profile: filterProfileBodySchema }), output: profileRowSchema },
  /** Replaces a profile's rules (presets included); the always-blocked categories must stay. */
  'profiles.update': { input: z.object({ profileId: id, profile: filterProfileBodySchema }), output: profileRowSchema },
  /** Removes a profile IT staff made; refused for presets and for profiles in use. */
  'profiles.remove': { input: z.object({ profileId: id }), output: z.object({ removed: z.boolean() }) },
  'labs.setBaselineProfile': { input: z.object({ labId: id, profileId: id }), output: filterChangeSchema },
  /** During the running lesson: switch to a stricter profile, or null for the baseline alone. Reverts at lesson end. */
  'lessons.setProfile': { input: z.object({ labId: id, profileId: id.nullable() }), output: filterChangeSchema },
  'filtering.status': {
    input: z.object({ labId: id.optional() }),
    output: z.object({
      lists: filterListsStateSchema,
      sources: z.array(listSourceViewSchema),
      labs: z.array(labFilterSchema),
      machines: z.array(machineFilterStatusSchema),
    }),
  },
  /** Blocked attempts of a lesson, a lab, a PC and/or a time range, newest first, with counts. */
  'filtering.blocked': {
    input: z.object({
      lessonId: id.optional(),
      labId: id.optional(),
      machineId: id.optional(),
      from: z.number().optional(),
      to: z.number().optional(),
      limit: z.number().int().min(1).max(maxBlockedAttemptsPerQuery).default(200),
    }),
    output: z.object({
      total: z.number().int(),
      attempts: z.array(blockedAttemptSchema),
      byMachine: z.array(z.object({ machineId: id, count: z.number().int() })),
      byCategory: z.array(z.object({ category: z.string(), count: z.number().int() })),
    }),
  },
  /** What a lab's filter does with one name right now (for IT staff checking a complaint). */
  'filtering.check': {
    input: z.object({ labId: id.nullable(), name: z.string().trim().min(1).max(1024) }),
    output: z.object({
      name: z.string(),
      profileId: id,
      verdict: z.enum(['block', 'allow', 'pass']),
      category: z.string().nullable(),
      safeSearchTarget: z.string().nullable(),
    }),
  },
  'lists.add': { input: z.object({ source: listSourceSchema }), output: z.array(listSourceViewSchema) },
  'lists.remove': { input: z.object({ sourceId: z.string().min(1).max(64) }), output: z.object({ removed: z.boolean() }) },
  /** Downloads the web lists now (keeping the last good copy on failure) and recompiles. */
  'lists.refresh': { input: z.object({}), output: z.array(listSourceViewSchema) },
  'lists.setAutoRefresh': { input: z.object({ enabled: z.boolean() }), output: filterListsStateSchema },
} as const;

export type ApiMethod = keyof typeof apiMethods;
export type ApiInput<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.infer<(typeof apiMethods)[M]['output']>;

// ---- events -----------------------------------------------------------------------------

export const apiEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('machine.updated'), machine: machineSchema }),
  z.object({ type: z.literal('machine.removed'), machineId: id }),
  z.object({ type: z.literal('lab.updated'), lab: labSchema }),
  z.object({ type: z.literal('lesson.updated'), lesson: lessonSchema }),
  z.object({ type: z.literal('command.finished'), outcome: commandOutcomeSchema }),
  z.object({
    type: z.literal('thumbnail'),
    machineId: id,
    width: z.number().int(),
    height: z.number().int(),
    /** The monitor pictured (an id from the machine's screens), or 'all' for the whole desktop. */
    screen: z.union([z.number().int(), z.literal('all')]).default('all'),
    capturedAt: z.number(),
    /** JPEG, base64; live thumbnails are never stored. */
    jpegBase64: z.string(),
  }),
  /** Blocked web attempts a PC just reported (during a lesson: the teacher's live view). */
  z.object({
    type: z.literal('filter.blocked'),
    machineId: id,
    labId: id.nullable(),
    lessonId: id.nullable(),
    attempts: z.array(z.object({ time: z.number(), name: z.string(), category: z.string() })),
  }),
  z.object({ type: z.literal('filter.machine'), status: machineFilterStatusSchema }),
  z.object({ type: z.literal('filter.lab'), lab: labFilterSchema }),
  z.object({ type: z.literal('filter.lists'), lists: filterListsStateSchema }),
  z.object({ type: z.literal('profile.updated'), profile: profileRowSchema }),
  z.object({ type: z.literal('profile.removed'), profileId: id }),
]);
export type ApiEvent = z.infer<typeof apiEventSchema>;

/** Error body every transport returns for a failed request. */
export interface ApiErrorBody {
  code: 'bad-request' | 'not-found' | 'unauthorized' | 'conflict' | 'internal';
  /** Message a teacher can read, Vietnamese first. */
  message: string;
  messageEn?: string;
}

/** What the renderer sees of the API, whatever carries it (IPC or HTTP). */
export interface ConsoleApiClient {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  /** Subscribes to events; returns an unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}
