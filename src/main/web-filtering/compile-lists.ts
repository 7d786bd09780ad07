// Compiling the lists into the blob agents load: in a worker thread when the built worker file is
// there (always, in the shipped console), else in this thread (tests running the TypeScript sources);
// with what IT staff see of it: each list's unusable lines, and the lists the compiler left out.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { maxLeftOutListsShown, maxProblemExamplesPerSource, type FilterListInfo } from '../../shared/api/contract.js';
import { exceptionCategoryOf } from '../../shared/filtering/categories.js';
import type { CompileProblem, CompileStats } from '../../shared/filtering/compile.js';
import type { ListSource } from '../../shared/filtering/list-sources.js';
import { buildFilterLists, type SourceListReport } from '../filtering/sources.js';

export interface CompileRequest {
  sources: ListSource[];
  /** Where downloaded copies are cached (sources.ts layout). */
  cacheDir: string;
  /** The console's data directory: no local list is read from inside it. */
  protectedDirs: string[];
  /** Our own lists (default: the shipped resources/lists). */
  ownListsDir?: string;
  builtAtSeconds: number;
}

export interface CompileResult {
  blob: Uint8Array;
  stats: CompileStats;
  reports: FilterListInfo['reports'];
  leftOut: FilterListInfo['leftOut'];
}

export type WorkerReply = { ok: true; result: CompileResult } | { ok: false; error: string };

/** The compile itself (what the worker runs). */
export async function compileSources(request: CompileRequest): Promise<CompileResult> {
  const built = await buildFilterLists(request.sources, {
    cacheDir: request.cacheDir,
    protectedDirs: request.protectedDirs,
    builtAtSeconds: request.builtAtSeconds,
    ...(request.ownListsDir !== undefined ? { ownListsDir: request.ownListsDir } : {}),
  });
  return { blob: built.blob, stats: built.stats, reports: summariseReports(built.reports), leftOut: leftOutLists(built.stats.problems, request.sources, built.reports) };
}

/** The categories a configured source files its lists under (a UT1 copy: one per folder). */
function ownCategoriesOf(source: ListSource, reports: readonly SourceListReport[]): Set<string> {
  const named: string[] = [];
  if (source.type === 'ut1-folder' || source.type === 'ut1-tarball') {
    // A UT1 copy brings one list per category folder; each report is labelled "ut1/<category>".
    for (const r of reports) if (r.sourceId === source.id) named.push(r.source.slice(r.source.lastIndexOf('/') + 1));
  } else {
    named.push(source.category);
  }
  return new Set(named);
}

/** The categories a configured source brings: its own and the allow exceptions of its block list. */
function categoriesOf(own: ReadonlySet<string>): Set<string> {
  return new Set([...own].flatMap((category) => [category, exceptionCategoryOf(category)]));
}

/**
 * What IT staff see of the compiler's problems: each list left out of the build with the sources
 * that bring its category (so the one to fix can be found), bounded for the UI.
 */
export function leftOutLists(problems: readonly CompileProblem[], sources: readonly ListSource[], reports: readonly SourceListReport[]): FilterListInfo['leftOut'] {
  const brought = sources.map((source) => {
    const own = ownCategoriesOf(source, reports);
    return { id: source.id, own, categories: categoriesOf(own) };
  });
  return {
    total: problems.length,
    lists: problems.slice(0, maxLeftOutListsShown).map((p) => ({
      kind: p.kind,
      category: p.category,
      names: p.names,
      // A list filed under a reserved "-allow" name is that source's own doing; the list whose
      // exceptions would carry that name is not involved (its exceptions are not left out).
      sourceIds: brought.filter((b) => (p.kind === 'reserved-category-name' ? b.own : b.categories).has(p.category)).map((b) => b.id),
    })),
  };
}

/**
 * What the console keeps of the parsers' reports: every count, and the example lines bounded per
 * source (a whole UT1 copy is about 100 lists, each keeping up to 20 examples).
 */
export function summariseReports(reports: readonly SourceListReport[]): FilterListInfo['reports'] {
  const examplesLeft = new Map<string | null, number>();
  return reports.map((r) => {
    const left = examplesLeft.get(r.sourceId) ?? maxProblemExamplesPerSource;
    const examples = r.examples.slice(0, left).map((e) => ({ ...(e.file !== undefined ? { file: e.file } : {}), line: e.line, problem: e.problem, text: e.text }));
    examplesLeft.set(r.sourceId, left - examples.length);
    const problems: Record<string, number> = {};
    for (const [problem, count] of Object.entries(r.problems)) if (count) problems[problem] = count;
    return { source: r.source, sourceId: r.sourceId, format: r.format, lines: r.lines, accepted: r.accepted, bad: r.bad, skipped: r.skipped, problems, examples };
  });
}

const workerFile = fileURLToPath(new URL('./compile-worker.js', import.meta.url));

export interface RunningCompile {
  readonly result: Promise<CompileResult>;
  /** Where it runs: 'worker' (the built console) or 'this thread' (TypeScript sources under test). */
  readonly where: 'worker' | 'this thread';
  /** Stops a worker still compiling (console shutting down); the result then rejects. */
  cancel(): void;
}

export function startCompile(request: CompileRequest): RunningCompile {
  if (!existsSync(workerFile)) {
    return { result: compileSources(request), where: 'this thread', cancel: () => undefined };
  }
  const worker = new Worker(workerFile, { workerData: request });
  const result = new Promise<CompileResult>((resolve, reject) => {
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve({ ...reply.result, blob: new Uint8Array(reply.result.blob.buffer, reply.result.blob.byteOffset, reply.result.blob.byteLength) });
      else reject(new Error(reply.error));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the list compiler stopped (exit ${code})`));
    });
  });
  return { result, where: 'worker', cancel: () => void worker.terminate() };
}
