// Holds the filter list + profile in force on this PC: verifies a new compiled list before it
// takes over, swaps it in with one reference assignment, keeps the last good one on disk and
// loads it at start, so filtering holds while the console is away.
//
// Queries read `policy` once per decision, synchronously: a swap never changes the rules in the
// middle of one query, and queries already waiting for upstream were decided on the old ones.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DomainMatcher } from '../../shared/filtering/matcher.js';
import { FilterListError } from '../../shared/filtering/errors.js';
import { compilePolicy, type CompiledPolicy } from '../../shared/filtering/policy.js';
import { filterProfileSchema, type FilterProfile } from '../../shared/filtering/profile.js';
import { writeFileAtomic } from '../system/atomic-file.js';
import type { AgentLog } from '../log.js';

/** Folder in the agent data dir for the filter in force. */
export const filterFolderName = 'filter';
/** The last good list + profile, one file so they can never disagree after a crash. */
export const activeFilterFileName = 'active-filter.bin';
/** Largest saved filter file we read (1 M names compile to ~10-12 MB; this leaves room). */
export const maxActiveFilterFileBytes = 96 * 1024 * 1024;
/** Largest profile JSON inside the saved file (profiles carry at most 2 × 10 000 extra names). */
export const maxSavedProfileBytes = 4 * 1024 * 1024;

// Saved file layout: "SLAF" | u16 version | u16 zero | u32 profile JSON bytes | profile JSON,
// zero-padded to 8 | compiled blob. The blob starts 8-aligned so the matcher views it in place.
const fileMagic = Buffer.from('SLAF', 'latin1');
const fileVersion = 1;
const fileHeaderBytes = 12;

function align8(n: number): number {
  return (n + 7) & ~7;
}

export type ActiveFilterErrorCode = 'saved-file-corrupt' | 'saved-file-version' | 'profile-invalid';

/** Problems with the saved file or a profile (list problems are FilterListError). */
export class ActiveFilterError extends Error {
  readonly code: ActiveFilterErrorCode;
  constructor(code: ActiveFilterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActiveFilterError';
    this.code = code;
  }
}

/** What is in force, for status screens and acks. */
export interface ActiveFilterInfo {
  profileId: string;
  profileName: string;
  mode: FilterProfile['mode'];
  /** CRC-32 of the list blob: names the list version. */
  listChecksum: number;
  listEntries: number;
  listBytes: number;
  /** Categories the profile names that the list does not contain. */
  missingCategories: readonly string[];
  installedAt: number;
}

/**
 * What loading the saved list at start gave: 'unsupported' — written by another SafeLab version
 * (another blob format or saved-file version); 'corrupt' — damaged or unreadable. Either way the
 * agent runs with only the built-in rules until the console sends a list (it re-sends at once: the
 * agent no longer claims to hold one; see web-filtering.ts).
 */
export type LoadOutcome = 'loaded' | 'none' | 'corrupt' | 'unsupported';

export interface InstallResult {
  info: ActiveFilterInfo;
  /** False when the new list is in force but could not be saved (disk full…): it is lost on restart. */
  persisted: boolean;
}

export interface MatcherStoreOptions {
  dataDir: string;
  log?: AgentLog;
  now?: () => number;
}

function encodeSavedFile(profile: FilterProfile, blob: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(profile), 'utf8');
  const blobAt = align8(fileHeaderBytes + json.length);
  const out = Buffer.alloc(blobAt + blob.length);
  fileMagic.copy(out, 0);
  out.writeUInt16LE(fileVersion, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, fileHeaderBytes);
  out.set(blob, blobAt);
  return out;
}

function decodeSavedFile(bytes: Buffer): { profile: FilterProfile; blob: Uint8Array } {
  if (bytes.length < fileHeaderBytes || !bytes.subarray(0, 4).equals(fileMagic)) throw new ActiveFilterError('saved-file-corrupt', 'saved filter file has no SafeLab header');
  if (bytes.readUInt16LE(4) !== fileVersion) throw new ActiveFilterError('saved-file-version', `saved filter file has version ${bytes.readUInt16LE(4)}, this agent reads ${fileVersion}`);
  const jsonBytes = bytes.readUInt32LE(8);
  if (jsonBytes > maxSavedProfileBytes || fileHeaderBytes + jsonBytes > bytes.length) throw new ActiveFilterError('saved-file-corrupt', 'saved filter file profile length is wrong');
  let profile: FilterProfile;
  try {
    profile = filterProfileSchema.parse(JSON.parse(bytes.toString('utf8', fileHeaderBytes, fileHeaderBytes + jsonBytes)));
  } catch (err) {
    throw new ActiveFilterError('saved-file-corrupt', 'saved filter profile is unreadable', { cause: err });
  }
  const blobAt = align8(fileHeaderBytes + jsonBytes);
  if (blobAt > bytes.length) throw new ActiveFilterError('saved-file-corrupt', 'saved filter file is cut short');
  // 8-aligned inside the file, so the matcher views its tables in place (it copies only if not).
  return { profile, blob: bytes.subarray(blobAt) };
}

export class MatcherStore {
  private readonly filePath: string;
  private readonly log: AgentLog;
  private readonly now: () => number;
  private current: CompiledPolicy | null = null;
  private currentBlob: Uint8Array | null = null;
  private currentInfo: ActiveFilterInfo | null = null;
  /** Serialises installs and saves so an older install can never overwrite a newer one on disk. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: MatcherStoreOptions) {
    this.filePath = path.join(options.dataDir, filterFolderName, activeFilterFileName);
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** The rules in force, or null before any list has arrived. Read once per query. */
  get policy(): CompiledPolicy | null {
    return this.current;
  }

  get info(): ActiveFilterInfo | null {
    return this.currentInfo;
  }

  get savedFilePath(): string {
    return this.filePath;
  }

  /**
   * Loads the last good list + profile from disk (agent start). A damaged file is reported and
   * left in place for IT to look at; whatever is in force stays in force.
   */
  loadLastGood(): Promise<LoadOutcome> {
    return this.serialise(async () => {
      let bytes: Buffer;
      try {
        const st = await fs.stat(this.filePath);
        if (st.size > maxActiveFilterFileBytes) throw new ActiveFilterError('saved-file-corrupt', `saved filter file is larger than ${maxActiveFilterFileBytes} bytes`);
        bytes = await fs.readFile(this.filePath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
        this.log('filter-saved-unreadable', { message: (err as Error).message });
        return 'corrupt';
      }
      try {
        const { profile, blob } = decodeSavedFile(bytes);
        const matcher = DomainMatcher.load(blob);
        this.swap(compilePolicy(matcher, profile), blob);
        this.log('filter-loaded', { profile: profile.id, list: matcher.checksum.toString(16), entries: matcher.entryCount });
        return 'loaded';
      } catch (err) {
        if (!(err instanceof ActiveFilterError) && !(err instanceof FilterListError)) throw err;
        // Left in place for IT to look at; the next install replaces it.
        if (err.code === 'version' || err.code === 'saved-file-version') {
          this.log('filter-saved-unsupported', { code: err.code, message: err.message });
          return 'unsupported';
        }
        this.log('filter-saved-corrupt', { code: err.code, message: err.message });
        return 'corrupt';
      }
    });
  }

  /**
   * Verifies `blob` (checksum and structure, via DomainMatcher.load) and `profile` (schema), swaps
   * them in, then saves them. Throws FilterListError / ActiveFilterError('profile-invalid') and
   * changes nothing when either is bad: the previous list stays in force.
   */
  install(blob: Uint8Array, profile: FilterProfile): Promise<InstallResult> {
    return this.serialise(async () => {
      const checked = this.checkProfile(profile);
      const matcher = DomainMatcher.load(blob);
      const policy = compilePolicy(matcher, checked);
      this.swap(policy, blob);
      const persisted = await this.persist(checked, blob);
      this.log('filter-installed', { profile: checked.id, list: matcher.checksum.toString(16), entries: matcher.entryCount, persisted });
      return { info: this.currentInfo!, persisted };
    });
  }

  /**
   * Switches the profile over the list already in force (a lesson starts or ends): no list
   * transfer needed. Throws ActiveFilterError('profile-invalid'), or FilterListError... never:
   * the list was verified when it arrived. Throws 'profile-invalid' too when no list is loaded yet.
   */
  setProfile(profile: FilterProfile): Promise<InstallResult> {
    return this.serialise(async () => {
      const checked = this.checkProfile(profile);
      const policy = this.current;
      const blob = this.currentBlob;
      if (!policy || !blob) throw new ActiveFilterError('profile-invalid', 'no filter list has been received yet');
      this.swap(compilePolicy(policy.matcher, checked), blob);
      const persisted = await this.persist(checked, blob);
      this.log('filter-profile', { profile: checked.id, mode: checked.mode, persisted });
      return { info: this.currentInfo!, persisted };
    });
  }

  private checkProfile(profile: FilterProfile): FilterProfile {
    const parsed = filterProfileSchema.safeParse(profile);
    if (!parsed.success) throw new ActiveFilterError('profile-invalid', `profile rejected: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data;
  }

  private swap(policy: CompiledPolicy, blob: Uint8Array): void {
    // The one assignment that changes what every following query sees.
    this.current = policy;
    this.currentBlob = blob;
    const m = policy.matcher;
    this.currentInfo = {
      profileId: policy.profile.id,
      profileName: policy.profile.name,
      mode: policy.mode,
      listChecksum: m.checksum,
      listEntries: m.entryCount,
      listBytes: m.byteLength,
      missingCategories: policy.missingCategories,
      installedAt: this.now(),
    };
  }

  private async persist(profile: FilterProfile, blob: Uint8Array): Promise<boolean> {
    try {
      await fs.mkdir(path.dirname(this.filePath), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.filePath, encodeSavedFile(profile, blob), { mode: 0o600 });
      return true;
    } catch (err) {
      this.log('filter-save-failed', { message: (err as Error).message });
      return false;
    }
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }
}
