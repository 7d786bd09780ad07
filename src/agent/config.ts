// The agent's files in its per-machine data folder: enrolment config (agent.json), private key
// (agent.key, mode 0600) and last enforced state (state.json). Every write is atomic.

import { createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { agentFilterStateSchema, lessonStateSchema, type AgentState, type LessonState } from '../shared/protocol/messages.js';
import { maxMessageTextChars } from '../shared/protocol/limits.js';
import { writeFileAtomic } from './atomic-file.js';
import { writeFileAtomic as writeFileAtomicAsync } from './system/atomic-file.js';

export const agentConfigFileName = 'agent.json';
export const agentKeyFileName = 'agent.key';
export const agentStateFileName = 'state.json';

/** Environment variable that overrides the default data folder (the --data-dir flag wins over it). */
export const agentDataDirEnv = 'SAFELAB_AGENT_DATA_DIR';

/** The per-machine data folder when neither --data-dir nor SAFELAB_AGENT_DATA_DIR says otherwise. */
export function defaultAgentDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  isRoot: boolean = typeof process.getuid === 'function' && process.getuid() === 0,
): string {
  if (platform === 'win32') {
    return join(env['ProgramData'] ?? env['PROGRAMDATA'] ?? 'C:\\ProgramData', 'SafeLab', 'Agent');
  }
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'SafeLab Agent');
  if (isRoot) return '/var/lib/safelab-agent';
  const xdg = env['XDG_DATA_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.local', 'share'), 'safelab-agent');
}

export function resolveAgentDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag && flag.length > 0) return flag;
  const fromEnv = env[agentDataDirEnv];
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  return defaultAgentDataDir(env);
}

/** Creates the data folder, readable only by the agent's account (it holds the private key). */
export function ensureAgentDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

// ---- errors ------------------------------------------------------------------------------

export type AgentFileErrorCode = 'config-corrupt' | 'config-unreadable';

/** A damaged or unreadable agent file: the CLI prints a bilingual message and exits, never loops. */
export class AgentFileError extends Error {
  readonly code: AgentFileErrorCode;
  readonly path: string;
  readonly reason: string;
  constructor(code: AgentFileErrorCode, path: string, reason: string) {
    super(`${code === 'config-corrupt' ? 'damaged' : 'unreadable'} file ${path}: ${reason}`);
    this.name = 'AgentFileError';
    this.code = code;
    this.path = path;
    this.reason = reason;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AgentFileError('config-unreadable', path, (error as Error).message);
  }
}

function parseJsonFile<T>(path: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AgentFileError('config-corrupt', path, 'not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentFileError('config-corrupt', path, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

// ---- agent.json --------------------------------------------------------------------------

export const fingerprintPattern = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

export const agentConfigSchema = z.object({
  format: z.literal('safelab-agent'),
  version: z.literal(1),
  machineId: z.string().regex(/^[a-z0-9-]{8,64}$/),
  /** wss://host:port/agent */
  consoleUrl: z.string().url(),
  /** SHA-256 fingerprint of the console certificate, pinned at enrolment. */
  consoleFingerprint: z.string().regex(fingerprintPattern),
  /** Ed25519 public key (SPKI DER, base64); the console holds the same. */
  publicKey: z.string().min(1).max(4096),
  /** Name to report instead of the OS host name (e.g. "P.Tin1-May07"). */
  hostname: z.string().min(1).max(256).optional(),
  enrolledAt: z.number(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** The enrolment config, or null when this PC is not enrolled (no agent.json). */
export function readAgentConfig(dataDir: string): AgentConfig | null {
  const path = join(dataDir, agentConfigFileName);
  const text = readText(path);
  if (text === null) return null;
  return parseJsonFile(path, text, agentConfigSchema);
}

export function writeAgentConfig(dataDir: string, config: AgentConfig): void {
  ensureAgentDataDir(dataDir);
  writeFileAtomic(join(dataDir, agentConfigFileName), JSON.stringify(config, null, 2) + '\n', 0o644);
}

// ---- agent.key ---------------------------------------------------------------------------

const pemLabel = 'PRIVATE KEY';

/** Stores the PKCS#8 private key (base64 DER) as PEM, mode 0600, so openssl can read it too. */
export function writeAgentKey(dataDir: string, privateKeyPkcs8: string): void {
  ensureAgentDataDir(dataDir);
  const lines = privateKeyPkcs8.match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN ${pemLabel}-----\n${lines.join('\n')}\n-----END ${pemLabel}-----\n`;
  const path = join(dataDir, agentKeyFileName);
  writeFileAtomic(path, pem, 0o600);
  // The umask cannot widen 0600, but an older file replaced by rename keeps nothing of its own;
  // chmod again anyway in case the filesystem ignored the create mode.
  if (process.platform !== 'win32') chmodSync(path, 0o600);
}

/** The PKCS#8 private key (base64 DER). Throws AgentFileError when missing or not an Ed25519 key. */
export function readAgentKey(dataDir: string): string {
  const path = join(dataDir, agentKeyFileName);
  const text = readText(path);
  if (text === null) throw new AgentFileError('config-unreadable', path, 'the private key file is missing');
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
  if (!match) throw new AgentFileError('config-corrupt', path, 'not a PEM private key');
  const base64 = match[1]!.replace(/\s+/g, '');
  try {
    const key = createPrivateKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  } catch (error) {
    throw new AgentFileError('config-corrupt', path, (error as Error).message);
  }
  return base64;
}

// ---- state.json --------------------------------------------------------------------------

export const persistedStateSchema = z.object({
  locked: z.boolean(),
  lockMessage: z.string().max(maxMessageTextChars).optional(),
  lesson: lessonStateSchema.nullable(),
  /** The web filter list + profile last installed (the list itself lives in the dns folder). */
  filter: agentFilterStateSchema.omit({ listening: true }).optional(),
  savedAt: z.number(),
});
/** What the agent enforces, kept across agent restarts and console absences. */
export type PersistedState = z.infer<typeof persistedStateSchema>;

export const initialState: PersistedState = { locked: false, lesson: null, savedAt: 0 };

export interface StateReadResult {
  state: PersistedState;
  /** Set when state.json was damaged: it was moved aside and the agent starts from initialState. */
  problem?: { path: string; reason: string; movedTo: string };
}

/**
 * Reads the last state. A damaged state file must not stop the agent (it would stop enforcing
 * everything else), so it is moved aside for IT to look at and the agent starts unlocked.
 * `moveAside: false` only reads (for `status`).
 */
export function readAgentState(dataDir: string, options: { moveAside?: boolean; now?: number } = {}): StateReadResult {
  const path = join(dataDir, agentStateFileName);
  const text = readText(path);
  if (text === null) return { state: { ...initialState } };
  try {
    return { state: parseJsonFile(path, text, persistedStateSchema) };
  } catch (error) {
    if (!(error instanceof AgentFileError)) throw error;
    const movedTo = `${path}.corrupt-${options.now ?? Date.now()}`;
    if (options.moveAside === false) return { state: { ...initialState }, problem: { path, reason: error.reason, movedTo: path } };
    try {
      renameSync(path, movedTo);
    } catch {
      // If it cannot move, the next successful write replaces it anyway.
    }
    return { state: { ...initialState }, problem: { path, reason: error.reason, movedTo } };
  }
}

/** The state file's text for a state (what writeAgentStateText writes). */
export function agentStateText(state: PersistedState): string {
  return JSON.stringify(state) + '\n';
}

/**
 * Writes a state file's text off the event loop (see StateWriter, which orders the writes). The
 * running agent's data folder exists (it holds its key); no blocking mkdir per save.
 */
export async function writeAgentStateText(dataDir: string, text: string): Promise<void> {
  await writeFileAtomicAsync(join(dataDir, agentStateFileName), text, { mode: 0o644 });
}

/** The state as the wire reports it. */
export function toAgentState(state: PersistedState): AgentState {
  const out: AgentState = { locked: state.locked, lessonActive: state.lesson?.active ?? false };
  if (state.locked && state.lockMessage !== undefined) out.lockMessage = state.lockMessage;
  if (state.filter) out.filter = { ...state.filter };
  return out;
}

export function isEnrolled(dataDir: string): boolean {
  return existsSync(join(dataDir, agentConfigFileName));
}

export type { LessonState };
