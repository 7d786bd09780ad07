// The schema table of the agent wire: every JSON control message either end may send.
//
// Handshake (one TLS websocket per agent, path /agent):
//   enrolment (first contact, IT staff gave the agent a code or an enrolment file):
//     agent  -> enrol     { publicKey, nonce, proof = HMAC(K, "agent"|fp|publicKey|nonce) }
//     console-> enrolled  { machineId, proof = HMAC(K, "console"|fp|publicKey|nonce) }, then closes (closeCodes.enrolled)
//     where K = deriveEnrolmentKey(code) and fp = SHA-256 fingerprint of the console certificate
//     as each side sees it; the agent pins fp only after checking the console's proof.
//   every later connection:
//     console-> challenge { nonce }            (fresh 32 random bytes per connection)
//     agent  -> auth      { machineId, signature = Ed25519(agentKey, authTranscript(nonce, fp, machineId)) }
//     console-> welcome   { machineId, lesson }
//     agent  -> hello     { identity, session, state, capabilities }
//   then commands (acknowledged by id, idempotent by id), thumbnail requests (answered by a binary
//   frame or a thumbnailError), session/inventory updates, blocked-attempt reports and web-filter
//   status changes. Heartbeats are websocket ping/pong.

import { z } from 'zod';
import { filterProfileSchema } from '../filtering/profile.js';
import { maxBlockedAttemptsPerReport, maxFilterListBytes, maxMessageTextChars, maxThumbnailWidthPx, protocolVersion } from './limits.js';

const base64 = z.string().max(4096).regex(/^[A-Za-z0-9+/=_-]*$/, 'base64 text');
const machineId = z.string().regex(/^[a-z0-9-]{8,64}$/, 'machine id');
const commandId = z.string().min(1).max(64);
const shortText = z.string().max(256);
const messageText = z.string().max(maxMessageTextChars);

export const screenInfoSchema = z.object({
  id: z.number().int().min(0).max(254),
  name: shortText,
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(1).max(16384),
  height: z.number().int().min(1).max(16384),
  primary: z.boolean(),
});
export type ScreenInfo = z.infer<typeof screenInfoSchema>;

export const sessionInfoSchema = z.object({
  /** Logged-in user name, or null at the login screen. */
  user: shortText.nullable(),
  screens: z.array(screenInfoSchema).max(16),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const lessonStateSchema = z.object({
  active: z.boolean(),
  lessonId: z.string().max(64).optional(),
  className: shortText.optional(),
  /** UI language for what the student sees (monitoring indicator, lock text chrome). */
  language: z.enum(['vi', 'en']).default('vi'),
});
export type LessonState = z.infer<typeof lessonStateSchema>;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'sha-256 hex');

/**
 * Why an agent's web filter does not protect its PC although it should. `code` stays a plain string
 * so a newer agent's codes never make an older console refuse the whole message:
 * listen-failed — the DNS filter could not start (port 53 taken, no rights); the resolver was put back;
 * resolver-failed — the filter runs, but the system resolver could not be pointed at it;
 * resolver-contested — something keeps pointing the system resolver elsewhere; the agent paused;
 * firewall-failed — the filter runs, but its DNS firewall could not be put in force (no nftables, the
 *   kernel refused): programs that ask another DNS server themselves, or use encrypted DNS, go round it.
 * resolver-bypassed — systemd-resolved forwards to the filter, but /etc/resolv.conf no longer sends
 *   programs to resolved's stub: programs that read it ask other servers directly;
 * list-format-unsupported / list-corrupt — the list saved on the PC could not be loaded at start
 *   (written by another SafeLab version / damaged); until the console sends one, only the built-in
 *   rules (SafeSearch, encrypted-DNS canaries) apply.
 */
export const agentFilterProblemSchema = z.object({ code: z.string().max(64), detail: shortText });
export type AgentFilterProblem = z.infer<typeof agentFilterProblemSchema>;

/** The web filter in force on an agent: which compiled list and which profile. */
export const agentFilterStateSchema = z.object({
  listSha256: sha256Hex.optional(),
  profileId: z.string().max(64).optional(),
  mode: z.enum(['filtered', 'allowlist-only']).optional(),
  /** Where the agent's DNS filter answers (e.g. "127.0.0.1:53"); absent when it does not run. */
  listening: z.array(shortText).max(4).optional(),
  problem: agentFilterProblemSchema.optional(),
  /** How often the system resolver was found pointing elsewhere (and pointed back) since the agent started, and when last (ms). */
  resolverDrift: z.object({ count: z.number().int().min(0), lastAt: z.number() }).optional(),
});
export type AgentFilterState = z.infer<typeof agentFilterStateSchema>;

/**
 * Why a lock does not hold as the teacher expects: 'input-not-captured' (another program keeps
 * the keyboard or mouse, so the student can still type or click), 'contested' (a student is
 * fighting the lock; their programs are paused until unlock), 'lock-down' (the lock is not on
 * the screen and the agent cannot put it back: the student can use the PC).
 */
export const lockIssueSchema = z.enum(['input-not-captured', 'contested', 'lock-down']);
export type LockIssue = z.infer<typeof lockIssueSchema>;

/**
 * Why the agent cannot drive this PC's desktop although it runs (its connection and web filter go
 * on): 'desktop-unavailable' — no X session to open yet (boot, a Wayland greeter, a broken
 * Xauthority); the agent keeps trying. Lock, screen pictures and messages do not work meanwhile.
 * `code` stays a plain string, as for filter problems. i18n: ui.tile.desktopProblem.<code>.
 */
export const agentDesktopProblemSchema = z.object({ code: z.string().max(64), detail: shortText });
export type AgentDesktopProblem = z.infer<typeof agentDesktopProblemSchema>;

export const agentStateSchema = z.object({
  locked: z.boolean(),
  lockMessage: messageText.optional(),
  /** Only while locked, and only when the lock has a problem. */
  lockIssue: lockIssueSchema.optional(),
  /** A lesson runs on this PC and its monitoring indicator is up (or going up): its screen may be watched. */
  lessonActive: z.boolean(),
  filter: agentFilterStateSchema.optional(),
  /** Only while the agent cannot drive the desktop (see agentDesktopProblemSchema). */
  desktopProblem: agentDesktopProblemSchema.optional(),
});
export type AgentState = z.infer<typeof agentStateSchema>;

export const networkAdapterSchema = z.object({
  name: shortText,
  mac: shortText,
  ipv4: z.array(shortText).max(16),
  ipv6: z.array(shortText).max(16),
  virtual: z.boolean(),
});

export const inventorySchema = z.object({
  cpu: z.object({ model: shortText, cores: z.number().int().min(0), speedGHz: z.number().min(0) }),
  memoryBytes: z.number().min(0),
  disks: z.array(z.object({ mount: shortText, sizeBytes: z.number().min(0), usedBytes: z.number().min(0) })).max(32),
  os: z.object({ platform: shortText, distro: shortText, release: shortText, build: shortText, arch: shortText }),
  networkAdapters: z.array(networkAdapterSchema).max(32),
  gatheredAt: z.number(),
});
export type Inventory = z.infer<typeof inventorySchema>;

export const commandSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('lock'), message: messageText }),
  z.object({ name: z.literal('unlock') }),
  z.object({ name: z.literal('showMessage'), text: messageText.min(1), title: shortText.optional() }),
  z.object({ name: z.literal('setLesson'), lesson: lessonStateSchema }),
  z.object({ name: z.literal('refreshInventory') }),
  /**
   * Switch the web filter. `list` names the compiled list by SHA-256; with `transferId` its bytes
   * were just sent as filter-chunk frames, without it the agent must already hold that list
   * (else it fails with code 'filter-list-missing' and the console sends it).
   */
  z.object({
    name: z.literal('setFilter'),
    profile: filterProfileSchema,
    list: z.object({
      sha256: sha256Hex,
      bytes: z.number().int().min(1).max(maxFilterListBytes),
      transferId: z.number().int().min(0).max(0xffffffff).optional(),
    }),
  }),
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandName = Command['name'];

export const errorBodySchema = z.object({ code: z.string().max(64), message: z.string().max(1024) });
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---- console -> agent -------------------------------------------------------------------

export const consoleMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('challenge'), protocol: z.literal(protocolVersion), nonce: base64, consoleTime: z.number() }),
  z.object({ type: z.literal('enrolled'), machineId, proof: base64 }),
  z.object({ type: z.literal('welcome'), machineId, lesson: lessonStateSchema }),
  z.object({ type: z.literal('command'), id: commandId, command: commandSchema }),
  z.object({
    type: z.literal('thumbnail'),
    requestId: z.number().int().min(0).max(0xffffffff),
    width: z.number().int().min(16).max(maxThumbnailWidthPx),
    quality: z.number().int().min(1).max(100),
    /** Screen index, or 'all' for the whole desktop. */
    screen: z.union([z.number().int().min(0).max(254), z.literal('all')]),
  }),
  z.object({ type: z.literal('error'), error: errorBodySchema }),
]);
export type ConsoleMessage = z.infer<typeof consoleMessageSchema>;

// ---- agent -> console -------------------------------------------------------------------

export const agentIdentitySchema = z.object({
  hostname: shortText,
  os: z.object({ platform: shortText, release: shortText }),
  agentVersion: shortText,
  /** Platform implementation driving the desktop: 'linux' | 'win32' | 'simulated'. */
  desktop: shortText,
});
export type AgentIdentity = z.infer<typeof agentIdentitySchema>;

export const agentMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('enrol'),
    protocol: z.literal(protocolVersion),
    /** Ed25519 public key, SPKI DER, base64. */
    publicKey: base64,
    nonce: base64,
    proof: base64,
    hostname: shortText,
  }),
  z.object({ type: z.literal('auth'), protocol: z.literal(protocolVersion), machineId, signature: base64 }),
  z.object({
    type: z.literal('hello'),
    identity: agentIdentitySchema,
    session: sessionInfoSchema,
    state: agentStateSchema,
    capabilities: z.array(shortText).max(32),
  }),
  /** Command acknowledgement: ok, or the reason it failed; always the agent's state after it. */
  z.object({ type: z.literal('ack'), id: commandId, ok: z.boolean(), error: errorBodySchema.optional(), state: agentStateSchema }),
  z.object({ type: z.literal('session'), session: sessionInfoSchema }),
  /** The agent's state changed without a command (a student started fighting the lock, say). */
  z.object({ type: z.literal('state'), state: agentStateSchema }),
  z.object({ type: z.literal('inventory'), inventory: inventorySchema }),
  /** Blocked web attempts since the last report: time, name, category — never page content. */
  z.object({
    type: z.literal('blocked'),
    attempts: z
      .array(z.object({ time: z.number(), name: z.string().min(1).max(253), category: z.string().max(64) }))
      .min(1)
      .max(maxBlockedAttemptsPerReport),
    /** The agent's clock when it sent the report: the console corrects the attempt times by its own clock's difference. */
    sentAt: z.number().optional(),
  }),
  /** The web filter's state changed on its own: resolver changed behind it and pointed back, a problem began or ended. */
  z.object({ type: z.literal('filterStatus'), filter: agentFilterStateSchema }),
  z.object({ type: z.literal('thumbnailError'), requestId: z.number().int().min(0).max(0xffffffff), error: errorBodySchema }),
  z.object({ type: z.literal('error'), error: errorBodySchema }),
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;
