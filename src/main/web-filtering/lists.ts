// The compiled list the console pushes to agents: cached on disk with its SHA-256 (so a console
// restart reuses the very same bytes and agents that hold them need no resend), rebuilt off the
// event loop when its inputs change, and refreshed from the web on a schedule when IT staff turn
// that on (off by default: the status then says which third-party lists were never downloaded).
//
// Files under <dataDir>/filtering/:
//   compiled-list.bin    the blob in force
//   compiled-list.json   { version, inputsKey, info }: what the blob was built from, and its summary
//   downloads/           the last good copy of each downloaded source (filtering/sources.ts)

import { createHash, randomInt } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilterListInfo, FilterListsState, ListSourceView } from '../../shared/api/contract.js';
import { blobFormatVersion } from '../../shared/filtering/blob-format.js';
import type { ListSource } from '../../shared/filtering/list-sources.js';
import { DomainMatcher } from '../../shared/filtering/matcher.js';
import { encodeFilterChunks } from '../../shared/protocol/frame.js';
import { defaultOwnListsDir } from '../filtering/own-lists.js';
import { ListRefreshSchedule, sourceStatuses } from '../filtering/sources.js';
import { startCompile, type RunningCompile } from './compile-lists.js';

export const listsFolderName = 'filtering';
export const compiledListFileName = 'compiled-list.bin';
export const compiledListInfoFileName = 'compiled-list.json';
export const downloadsFolderName = 'downloads';
// 2: reports carry their source id, counts per reason and example lines.
// 3: info carries the lists the compiler left out of the build.
const cacheFormatVersion = 3;

export interface SourceEntry {
  source: ListSource;
  origin: ListSourceView['origin'];
}

/** The list in force, with what pushing it needs. */
export interface CurrentList {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly info: FilterListInfo;
  readonly matcher: DomainMatcher;
}

export interface FilterListsOptions {
  dataDir: string;
  sources(): SourceEntry[];
  /** Our own lists (default: the shipped resources/lists). */
  ownListsDir?: string;
  log(line: string): void;
  autoRefresh: boolean;
  refreshIntervalMs?: number;
  firstRefreshDelayMs?: number;
  /** Building started, finished or failed: the UI listens. */
  changed(state: FilterListsState): void;
  /** A new list is in force: push it to the agents. */
  newList(list: CurrentList): void;
}

interface CacheInfo {
  version: number;
  inputsKey: string;
  info: FilterListInfo;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

async function statKey(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  return info ? `${info.size}:${Math.round(info.mtimeMs)}` : '-';
}

/** What a source's current copy is, cheaply (sizes and times, no parsing): part of the inputs key. */
async function sourceFingerprint(source: ListSource, cacheDir: string): Promise<string> {
  switch (source.type) {
    case 'ut1-category':
    case 'url': {
      // The data file is rewritten only when a download brought new bytes (not on 304 or failure).
      const meta = await readFile(join(cacheDir, `${source.id}.meta.json`), 'utf8').catch(() => null);
      let url = '';
      try {
        url = meta ? String((JSON.parse(meta) as { url?: unknown }).url ?? '') : '';
      } catch {
        url = 'corrupt';
      }
      return `${url}|${await statKey(join(cacheDir, `${source.id}.data`))}`;
    }
    case 'file':
    case 'ut1-tarball':
      return statKey(source.path);
    case 'ut1-folder': {
      const entries = await readdir(source.path, { withFileTypes: true }).catch(() => []);
      const wanted = source.categories ? new Set(source.categories) : null;
      const parts: string[] = [];
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (!entry.isDirectory() || (wanted && !wanted.has(entry.name))) continue;
        for (const file of ['domains', 'urls', 'expressions']) parts.push(`${entry.name}/${file}:${await statKey(join(source.path, entry.name, file))}`);
      }
      return parts.join(',');
    }
  }
}

/** A hash of everything the blob is built from: equal keys mean a rebuild would give the same list. */
export async function inputsKey(sources: readonly ListSource[], cacheDir: string, ownListsDir: string = defaultOwnListsDir): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`safelab-lists ${blobFormatVersion}\n`);
  const own = (await readdir(ownListsDir).catch(() => [])).filter((name) => name.endsWith('.txt')).sort();
  for (const name of own) hash.update(`own ${name}\n`).update(await readFile(join(ownListsDir, name)));
  for (const source of sources) hash.update(`source ${JSON.stringify(source)} ${await sourceFingerprint(source, cacheDir)}\n`);
  return hash.digest('hex');
}

export class FilterLists {
  current: CurrentList | null = null;
  private currentKey: string | null = null;
  private building: Promise<void> | null = null;
  private buildAgain = false;
  private lastError: string | null = null;
  private lastRefreshAt: number | null = null;
  private compile: RunningCompile | null = null;
  private autoRefresh: boolean;
  private readonly schedule: ListRefreshSchedule;
  private readonly folder: string;
  private readonly cacheDir: string;
  /** Where sources are cached and what no local list may be read from (the data directory). */
  private readonly cacheOptions: { cacheDir: string; protectedDirs: string[] };
  private closed = false;

  constructor(private readonly options: FilterListsOptions) {
    this.folder = join(options.dataDir, listsFolderName);
    this.cacheDir = join(this.folder, downloadsFolderName);
    this.cacheOptions = { cacheDir: this.cacheDir, protectedDirs: [options.dataDir] };
    this.autoRefresh = options.autoRefresh;
    this.schedule = new ListRefreshSchedule({
      sources: () => this.sources(),
      cache: this.cacheOptions,
      ...(options.refreshIntervalMs !== undefined ? { intervalMs: options.refreshIntervalMs } : {}),
      ...(options.firstRefreshDelayMs !== undefined ? { firstDelayMs: options.firstRefreshDelayMs } : {}),
      onRefreshed: async () => {
        this.lastRefreshAt = Date.now();
        await this.rebuild();
      },
      onError: (error) => this.options.log(`web-filtering: list refresh failed: ${String(error)}`),
    });
  }

  /** Loads the cached list (at once usable), then rebuilds in the background if its inputs changed. */
  async start(): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    await this.loadCached();
    void this.rebuild();
    if (this.autoRefresh) this.schedule.start();
  }

  state(): FilterListsState {
    return {
      current: this.current?.info ?? null,
      building: this.building !== null,
      lastError: this.lastError,
      autoRefresh: this.autoRefresh,
      lastRefreshAt: this.lastRefreshAt,
    };
  }

  /** Resolves once no build is running (tests and the API wait on it after changing sources). */
  async settled(): Promise<void> {
    while (this.building) await this.building;
  }

  /** Rebuilds when the inputs changed since the list in force was built (coalescing concurrent requests). */
  rebuild(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.building) {
      this.buildAgain = true;
      return this.building;
    }
    this.building = (async () => {
      try {
        do {
          this.buildAgain = false;
          await this.rebuildOnce();
        } while (this.buildAgain && !this.closed);
      } finally {
        this.building = null;
        if (!this.closed) this.options.changed(this.state());
      }
    })();
    return this.building;
  }

  setAutoRefresh(enabled: boolean): void {
    this.autoRefresh = enabled;
    if (enabled) this.schedule.start();
    else this.schedule.stop();
    this.options.changed(this.state());
  }

  /** Downloads the web lists now (keeping last good copies), then rebuilds if anything changed. */
  async refreshNow(): Promise<void> {
    await this.schedule.refreshNow();
  }

  async sourceViews(): Promise<ListSourceView[]> {
    const entries = this.options.sources();
    const statuses = await sourceStatuses(
      entries.map((e) => e.source),
      this.cacheOptions,
    );
    return entries.map((entry, i) => {
      const s = statuses[i]!;
      return {
        source: entry.source,
        origin: entry.origin,
        status: { state: s.state, label: s.label, thirdParty: s.thirdParty, lastSuccessAt: s.lastSuccessAt, lastAttemptAt: s.lastAttemptAt, lastError: s.lastError, bytes: s.bytes },
      };
    });
  }

  close(): void {
    this.closed = true;
    this.schedule.stop();
    this.compile?.cancel();
  }

  private sources(): ListSource[] {
    return this.options.sources().map((entry) => entry.source);
  }

  private async loadCached(): Promise<void> {
    try {
      const cache = JSON.parse(await readFile(join(this.folder, compiledListInfoFileName), 'utf8')) as CacheInfo;
      if (cache.version !== cacheFormatVersion) return;
      const bytes = new Uint8Array(await readFile(join(this.folder, compiledListFileName)));
      const sha256 = sha256Hex(bytes);
      if (sha256 !== cache.info.sha256) {
        this.options.log('web-filtering: the cached list does not match its SHA-256; compiling again');
        return;
      }
      this.current = { bytes, sha256, info: cache.info, matcher: DomainMatcher.load(bytes) };
      this.currentKey = cache.inputsKey;
      this.options.log(`web-filtering: list ${sha256.slice(0, 12)} loaded from cache (${bytes.byteLength} bytes, ${cache.info.entries} entries)`);
    } catch {
      // No cache yet (first start) or unreadable: the first build makes one.
    }
  }

  private async rebuildOnce(): Promise<void> {
    const sources = this.sources();
    const key = await inputsKey(sources, this.cacheDir, this.options.ownListsDir);
    if (this.current && key === this.currentKey) return;
    this.options.changed({ ...this.state(), building: true });
    const started = Date.now();
    const builtAtSeconds = Math.floor(started / 1000);
    const compile = (this.compile = startCompile({
      sources,
      ...this.cacheOptions,
      builtAtSeconds,
      ...(this.options.ownListsDir !== undefined ? { ownListsDir: this.options.ownListsDir } : {}),
    }));
    let result;
    try {
      result = await compile.result;
    } catch (error) {
      if (this.closed) return;
      this.lastError = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      this.options.log(`web-filtering: compiling the lists failed (the previous list stays in force): ${String(error)}`);
      return;
    } finally {
      this.compile = null;
    }
    if (this.closed) return;
    const bytes = result.blob;
    const sha256 = sha256Hex(bytes);
    const matcher = DomainMatcher.load(bytes);
    const info: FilterListInfo = {
      sha256,
      bytes: bytes.byteLength,
      entries: matcher.entryCount,
      builtAt: builtAtSeconds * 1000,
      categories: matcher.categoryNames.map((name, i) => ({ name, kind: matcher.categoryKinds[i]!, entries: matcher.categoryEntryCounts[i]! })),
      stats: {
        inputNames: result.stats.inputNames,
        rejectedNames: result.stats.rejectedNames,
        uniqueNames: result.stats.uniqueNames,
        foldedNames: result.stats.foldedNames,
      },
      reports: result.reports,
      leftOut: result.leftOut,
    };
    try {
      await writeAtomically(join(this.folder, compiledListFileName), bytes);
      await writeAtomically(join(this.folder, compiledListInfoFileName), JSON.stringify({ version: cacheFormatVersion, inputsKey: key, info } satisfies CacheInfo));
    } catch (error) {
      // Filtering still works from memory; only the restart without resend is lost.
      this.options.log(`web-filtering: could not cache the compiled list: ${(error as Error).message}`);
    }
    this.current = { bytes, sha256, info, matcher };
    this.currentKey = key;
    this.lastError = null;
    if (info.leftOut.total > 0) {
      const named = info.leftOut.lists.map((l) => `${l.category} (${l.kind}${l.sourceIds.length > 0 ? `, from ${l.sourceIds.join('+')}` : ''})`);
      this.options.log(`web-filtering: ${info.leftOut.total} list(s) left out of the build: ${named.slice(0, 5).join(', ')}${info.leftOut.total > 5 ? ', …' : ''}`);
    }
    this.options.log(
      `web-filtering: list ${sha256.slice(0, 12)} compiled in ${Date.now() - started} ms in ${compile.where} (${bytes.byteLength} bytes, ${info.entries} entries)`,
    );
    this.options.newList(this.current);
  }
}

/** Chunk frames of a list under one transfer id (made once per list and shared by every PC's transfer). */
export class ListFrames {
  private cached: { sha256: string; transferId: number; frames: Uint8Array[] } | null = null;

  /** The shared frames for `list`; a `fresh` set (new transfer id) for a resend after a failed one. */
  framesFor(list: CurrentList, fresh = false): { transferId: number; frames: Uint8Array[] } {
    if (fresh) {
      const transferId = randomInt(1, 0xffffffff);
      return { transferId, frames: encodeFilterChunks(transferId, list.bytes) };
    }
    if (this.cached?.sha256 !== list.sha256) {
      // A random id per list: an agent still holding half of an older transfer cannot mistake these chunks for it.
      const transferId = randomInt(1, 0xffffffff);
      this.cached = { sha256: list.sha256, transferId, frames: encodeFilterChunks(transferId, list.bytes) };
    }
    return this.cached;
  }
}
