// The console's list sources: refreshing downloaded lists into a cache (keeping the last good copy),
// saying which third-party lists were never downloaded, and building the blob agents receive.
//
// Cache layout (one pair per downloaded source, written atomically: temp file + rename):
//   <cacheDir>/<sourceId>.data       the last good download, exactly as served
//   <cacheDir>/<sourceId>.meta.json  url, fetchedAt, lastAttemptAt, lastError, etag, lastModified
// A download replaces the copy only after it parses into at least one name, so an HTML error page,
// a truncated archive or an empty answer never wipes out a working list.

import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CategoryKind } from '../../shared/filtering/blob-format.js';
import { ut1CategoryKind } from '../../shared/filtering/categories.js';
import { compileLists, sourcesOfList, type CompileSource, type CompileStats } from '../../shared/filtering/compile.js';
import type { ListReport, ParsedList } from '../../shared/filtering/list-report.js';
import {
  ut1CategoryUrl,
  type ListSource,
  type ListSourceError,
  type ListSourceStatus,
} from '../../shared/filtering/list-sources.js';
import { parseList } from '../../shared/filtering/parse-list.js';
import { DownloadError, downloadList } from './download.js';
import { withExamplesOnlyFromLists } from './example-lines.js';
import { checkLocalPath, LocalFileError, readLocalFile } from './local-files.js';
import { loadOwnLists } from './own-lists.js';
import { TarError } from './tar.js';
import { readUt1Folder, readUt1Tarball } from './ut1.js';

/** How often the schedule refreshes downloaded lists. */
export const defaultRefreshIntervalMs = 24 * 60 * 60 * 1000;
/** First refresh after the console starts (lets the UI come up first). */
export const defaultFirstRefreshDelayMs = 30_000;
/** A downloaded copy older than this is shown as stale. */
export const defaultStaleAfterMs = 7 * 24 * 60 * 60 * 1000;

export interface ListCacheOptions {
  cacheDir: string;
  /**
   * The console's own folders (its data directory): a local list path that leads into them, by a
   * link made after the source was added too, is refused every time it is read, not only when added.
   */
  protectedDirs?: readonly string[];
  timeoutMs?: number;
  maxBytes?: number;
  staleAfterMs?: number;
  now?: () => Date;
  fetch?: typeof fetch;
}

interface CacheMeta {
  url: string;
  fetchedAt: string | null;
  lastAttemptAt: string | null;
  lastError: ListSourceError | null;
  bytes: number | null;
  etag?: string;
  lastModified?: string;
}

/** One category's names from a source, ready to compile. */
export interface LoadedList {
  category: string;
  kind: CategoryKind;
  parsed: ParsedList;
}

const decoder = new TextDecoder('utf-8');

function isDownloaded(source: ListSource): source is Extract<ListSource, { type: 'ut1-category' | 'url' }> {
  return source.type === 'ut1-category' || source.type === 'url';
}

function urlOf(source: Extract<ListSource, { type: 'ut1-category' | 'url' }>): string {
  return source.type === 'url' ? source.url : source.url ?? ut1CategoryUrl(source.category);
}

function labelOf(source: ListSource): string {
  return isDownloaded(source) ? urlOf(source) : source.path;
}

const dataPath = (cacheDir: string, id: string): string => join(cacheDir, `${id}.data`);
const metaPath = (cacheDir: string, id: string): string => join(cacheDir, `${id}.meta.json`);

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

async function readMeta(cacheDir: string, source: Extract<ListSource, { type: 'ut1-category' | 'url' }>): Promise<CacheMeta | null> {
  try {
    const meta = JSON.parse(await readFile(metaPath(cacheDir, source.id), 'utf8')) as CacheMeta;
    // A copy of another URL (the source was edited) is not this source's copy.
    return meta.url === urlOf(source) ? meta : null;
  } catch {
    return null;
  }
}

/**
 * Parses downloaded or local bytes of a source into category lists. Throws DownloadError when
 * unusable — except, with `keepEmpty`, a local list file in which no line could be used: it loads
 * with no names, so its report (every bad line and why) still reaches IT staff.
 */
async function parseSourceBytes(source: ListSource, bytes: Uint8Array, keepEmpty = false): Promise<LoadedList[]> {
  if (source.type === 'ut1-category' || source.type === 'ut1-tarball') {
    const only = source.type === 'ut1-category' ? [source.category] : source.categories;
    let categories;
    try {
      categories = await readUt1Tarball(bytes, only);
    } catch (error) {
      if (error instanceof TarError) throw new DownloadError('bad-archive', error.message);
      throw error;
    }
    if (categories.length === 0 || categories.every((c) => c.parsed.report.accepted === 0)) {
      throw new DownloadError('bad-archive', 'no UT1 category with any domain in the archive');
    }
    return categories.map(({ category, parsed }) => ({ category, kind: ut1CategoryKind(category), parsed }));
  }
  if (source.type === 'url' || source.type === 'file') {
    const text = decoder.decode(bytes);
    const parsed = withExamplesOnlyFromLists(parseList(text, source.format, labelOf(source)), [text]);
    if (parsed.report.accepted === 0 && !keepEmpty) throw new DownloadError('not-a-list', `${labelOf(source)}: no usable name in ${parsed.report.lines} lines`);
    return [{ category: source.category, kind: source.kind, parsed }];
  }
  throw new Error(`not a byte source: ${source.type}`);
}

function statusOfMeta(source: ListSource, meta: CacheMeta | null, hasData: boolean, options: ListCacheOptions): ListSourceStatus {
  const now = (options.now ?? (() => new Date()))();
  const staleAfterMs = options.staleAfterMs ?? defaultStaleAfterMs;
  const base = { id: source.id, type: source.type, label: labelOf(source), thirdParty: true };
  if (!meta || !hasData || meta.fetchedAt === null) {
    return { ...base, state: 'never-downloaded', lastSuccessAt: null, lastAttemptAt: meta?.lastAttemptAt ?? null, lastError: meta?.lastError ?? null, bytes: null };
  }
  // A success clears lastError, so an error recorded next to a copy means the latest attempt failed.
  const failedSince = meta.lastError !== null;
  const age = now.getTime() - Date.parse(meta.fetchedAt);
  return {
    ...base,
    state: failedSince ? 'last-good' : age > staleAfterMs ? 'stale' : 'fresh',
    lastSuccessAt: meta.fetchedAt,
    lastAttemptAt: meta.lastAttemptAt,
    lastError: failedSince ? meta.lastError : null,
    bytes: meta.bytes,
  };
}

/** Why a present local path is not read (a system place, a key, a pipe, too large), or null. */
async function localRefusal(target: string, kind: 'file' | 'folder', protectedDirs: readonly string[] = []): Promise<LocalFileError | null> {
  try {
    await checkLocalPath(target, kind, { protectedDirs });
    return null;
  } catch (error) {
    if (!(error instanceof LocalFileError)) throw error;
    return error.refusal === 'missing' || error.refusal === 'not-a-file' || error.refusal === 'not-a-folder' ? null : error;
  }
}

function localRefusalError(error: LocalFileError): ListSourceError {
  return error.refusal === 'too-large'
    ? { code: 'too-large', messageKey: 'filtering.source.localTooLarge', detail: `${error.filePath}: ${error.size ?? 0} bytes` }
    : { code: 'not-a-list', messageKey: 'filtering.source.localRefused', detail: `${error.filePath}: ${error.refusal}` };
}

/** Status of one source from the cache and the disk (no network). */
export async function sourceStatus(source: ListSource, options: ListCacheOptions): Promise<ListSourceStatus> {
  if (isDownloaded(source)) {
    const meta = await readMeta(options.cacheDir, source);
    const hasData = (await stat(dataPath(options.cacheDir, source.id)).catch(() => null))?.isFile() ?? false;
    return statusOfMeta(source, meta, hasData, options);
  }
  const info = await stat(source.path).catch(() => null);
  // A path that leads somewhere no list is read from is there, but refused (and said so).
  const refused = await localRefusal(source.path, source.type === 'ut1-folder' ? 'folder' : 'file', options.protectedDirs);
  const present = refused !== null || (source.type === 'ut1-folder' ? info?.isDirectory() : info?.isFile());
  return {
    id: source.id,
    type: source.type,
    label: source.path,
    thirdParty: source.type !== 'file',
    state: present ? 'local' : 'local-missing',
    lastSuccessAt: present && info ? info.mtime.toISOString() : null,
    lastAttemptAt: null,
    lastError: refused ? localRefusalError(refused) : null,
    bytes: present && info && source.type !== 'ut1-folder' ? info.size : null,
  };
}

export async function sourceStatuses(sources: readonly ListSource[], options: ListCacheOptions): Promise<ListSourceStatus[]> {
  return Promise.all(sources.map((source) => sourceStatus(source, options)));
}

/**
 * Downloads one web source into the cache if it changed and parses; on any failure the previous
 * copy stays and the failure is recorded. Local sources are only re-checked.
 */
export async function refreshSource(source: ListSource, options: ListCacheOptions): Promise<ListSourceStatus> {
  if (!isDownloaded(source)) return sourceStatus(source, options);
  const now = (options.now ?? (() => new Date()))().toISOString();
  await mkdir(options.cacheDir, { recursive: true });
  const previous = await readMeta(options.cacheDir, source);
  const url = urlOf(source);
  const meta: CacheMeta = previous ?? { url, fetchedAt: null, lastAttemptAt: null, lastError: null, bytes: null };
  meta.lastAttemptAt = now;
  try {
    const downloadOptions: Parameters<typeof downloadList>[1] = {};
    if (options.timeoutMs !== undefined) downloadOptions.timeoutMs = options.timeoutMs;
    if (options.maxBytes !== undefined) downloadOptions.maxBytes = options.maxBytes;
    if (options.fetch !== undefined) downloadOptions.fetch = options.fetch;
    const hasData = (await stat(dataPath(options.cacheDir, source.id)).catch(() => null))?.isFile() ?? false;
    if (previous?.fetchedAt && hasData) {
      if (previous.etag) downloadOptions.etag = previous.etag;
      if (previous.lastModified) downloadOptions.lastModified = previous.lastModified;
    }
    const result = await downloadList(url, downloadOptions);
    if (result.status === 'not-modified') {
      meta.fetchedAt = now;
      meta.lastError = null;
    } else {
      await parseSourceBytes(source, result.bytes); // refuse anything that is not a usable list
      await writeAtomically(dataPath(options.cacheDir, source.id), result.bytes);
      meta.fetchedAt = now;
      meta.lastError = null;
      meta.bytes = result.bytes.length;
      delete meta.etag;
      delete meta.lastModified;
      if (result.etag) meta.etag = result.etag;
      if (result.lastModified) meta.lastModified = result.lastModified;
    }
  } catch (error) {
    meta.lastError =
      error instanceof DownloadError
        ? error.toStatusError()
        : { code: 'network', messageKey: 'filtering.download.network', detail: (error as Error).message };
  }
  await writeAtomically(metaPath(options.cacheDir, source.id), JSON.stringify(meta, null, 2));
  return sourceStatus(source, options);
}

/** Refreshes sources one after another (gentle on list servers and on the school's link). */
export async function refreshSources(sources: readonly ListSource[], options: ListCacheOptions): Promise<ListSourceStatus[]> {
  const statuses: ListSourceStatus[] = [];
  for (const source of sources) statuses.push(await refreshSource(source, options));
  return statuses;
}

/** The lists a source currently provides: from the cache (downloaded) or the disk (local). */
export async function loadSource(source: ListSource, options: ListCacheOptions): Promise<LoadedList[]> {
  try {
    if (isDownloaded(source)) {
      if ((await readMeta(options.cacheDir, source)) === null) return [];
      return await parseSourceBytes(source, await readFile(dataPath(options.cacheDir, source.id)));
    }
    if (source.type === 'ut1-folder') {
      return (await readUt1Folder(source.path, source.categories, options.protectedDirs)).map(({ category, parsed }) => ({ category, kind: ut1CategoryKind(category), parsed }));
    }
    return await parseSourceBytes(source, await readLocalFile(source.path, { protectedDirs: options.protectedDirs ?? [] }), source.type === 'file');
  } catch {
    // Missing or unreadable: the status says so; the other sources still load.
    return [];
  }
}

export interface BuildOptions extends ListCacheOptions {
  /** Our own lists (default: the shipped resources/lists). */
  ownListsDir?: string;
  builtAtSeconds?: number;
}

/** A parsed list's report and the configured source it came from (null: SafeLab's own lists). */
export type SourceListReport = ListReport & { sourceId: string | null };

export interface BuiltFilterLists {
  blob: Uint8Array;
  stats: CompileStats;
  /** One report per parsed list (our own lists first), for the IT screen. */
  reports: SourceListReport[];
  statuses: ListSourceStatus[];
}

/** Parses our own lists and every source's current copy, and compiles them into one blob. */
export async function buildFilterLists(sources: readonly ListSource[], options: BuildOptions): Promise<BuiltFilterLists> {
  const compileSources: CompileSource[] = [];
  const reports: SourceListReport[] = [];
  const add = (list: LoadedList, sourceId: string | null): void => {
    // Each list keeps the kind IT staff gave it. One that disagrees with an earlier list of its
    // category (an allow list filed under a block category) is left out by the compiler and
    // reported as a kind conflict — never silently turned into the other kind, which would block
    // what IT staff meant to allow.
    // A list with no usable name (a local file full of bad lines) brings only its report: an empty
    // category would pass for a filtered one.
    if (list.parsed.block.length + list.parsed.allow.length > 0) {
      compileSources.push(...sourcesOfList(list.category, list.kind, list.parsed));
    }
    reports.push({ ...list.parsed.report, sourceId });
  };
  for (const own of await loadOwnLists(options.ownListsDir)) add(own, null);
  for (const source of sources) for (const list of await loadSource(source, options)) add(list, source.id);
  const compiled = compileLists(compileSources, { builtAtSeconds: options.builtAtSeconds ?? Math.floor(Date.now() / 1000) });
  return { blob: compiled.blob, stats: compiled.stats, reports, statuses: await sourceStatuses(sources, options) };
}

export interface RefreshScheduleOptions {
  sources: () => readonly ListSource[];
  cache: ListCacheOptions;
  intervalMs?: number;
  firstDelayMs?: number;
  /** Called after every refresh round (e.g. rebuild the blob and push it when something changed). */
  onRefreshed?: (statuses: ListSourceStatus[]) => void | Promise<void>;
  onError?: (error: unknown) => void;
}

/** Refreshes downloaded lists on a schedule; one round at a time. */
export class ListRefreshSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ListSourceStatus[]> | null = null;
  private stopped = true;

  constructor(private readonly options: RefreshScheduleOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.firstDelayMs ?? defaultFirstRefreshDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs a round now (joining one already running). */
  refreshNow(): Promise<ListSourceStatus[]> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const statuses = await refreshSources(this.options.sources(), this.options.cache);
        await this.options.onRefreshed?.(statuses);
        return statuses;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.refreshNow()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => this.schedule(this.options.intervalMs ?? defaultRefreshIntervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
