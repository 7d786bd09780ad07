// The console API: one typed table of requests and one of events. The UI (renderer), the IT
// command line and the tests all use it. It is carried by Electron IPC in the desktop shell and
// by HTTP (POST /api/<method>) + a websocket event stream (/api/events) on loopback in web mode.
// Every request is validated against these schemas on the console side.

import { z } from 'zod';
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
  /** Why it failed (agent error message or 'timeout'); absent when done. */
  reason: z.string().optional(),
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
    input: z.object({ labId: id, className: name, teacher: z.string().trim().max(100).default('') }),
    output: lessonSchema,
  },
  'lessons.end': { input: z.object({ labId: id }), output: lessonSchema.nullable() },
  'lessons.active': { input: z.object({}), output: z.array(lessonSchema) },
  /** The machine shown large refreshes faster; null returns it to the grid rate. */
  'thumbnails.focus': { input: z.object({ machineId: id.nullable() }), output: z.object({ ok: z.literal(true) }) },
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
    capturedAt: z.number(),
    /** JPEG, base64; live thumbnails are never stored. */
    jpegBase64: z.string(),
  }),
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
