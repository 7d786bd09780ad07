// Filtering benchmark: compile time, blob size, agent memory with the matcher loaded, lookups per second.
// Run after `npx tsc -p tsconfig.build.json`:  node bench/filtering/bench.mjs [--names 1000000] [--ut1 DIR] [--seconds 2]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { random, syntheticDomains } from './synthetic.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const distDir = resolve(option('dist', process.env.SAFELAB_DIST ?? join(root, 'dist')));
const nameCount = Number(option('names', 1_000_000));
const seconds = Number(option('seconds', 2));
// The UT1 data sits next to the project (../shared/data/ut1) or next to the folder of git worktrees.
const ut1Candidates = [join(root, '../shared/data/ut1'), join(root, '../../shared/data/ut1')];
const ut1Dir = resolve(option('ut1', process.env.SAFELAB_UT1_DIR ?? ut1Candidates.find((dir) => existsSync(dir)) ?? ut1Candidates[0]));

const load = (path) => import(pathToFileURL(join(distDir, path)).href);
const { compileLists } = await load('shared/filtering/compile.js');
const { DomainMatcher } = await load('shared/filtering/matcher.js');
const { parseDomainList } = await load('shared/filtering/parse-domains.js');
const { compilePolicy, decide } = await load('shared/filtering/policy.js');
const { lessonAllowlistProfile, presetProfile } = await load('shared/filtering/presets.js');
const { tighten } = await load('shared/filtering/profile.js');

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const work = mkdtempSync(join(tmpdir(), 'safelab-filter-bench-'));

/**
 * Query mix: a third exact hits, a third subdomain hits (1-3 labels deeper), a third misses. The
 * strings are re-created as flat strings allocated one after another, like names a DNS server has
 * just decoded, so the measurement is about the matcher's table, not about chasing cold strings.
 */
function queryMix(listed, count, seed) {
  const rand = random(seed);
  const queries = [];
  for (let i = 0; i < count; i++) {
    const name = listed[Math.floor(rand() * listed.length)];
    const kind = i % 3;
    if (kind === 0) queries.push(name);
    else if (kind === 1) queries.push(rand() < 0.5 ? `www.${name}` : `a${i % 97}.cdn.${name}`);
    else queries.push(`miss${Math.floor(rand() * 1e9).toString(36)}.${name.slice(name.indexOf('.') + 1)}`);
  }
  return JSON.parse(JSON.stringify(queries));
}

/**
 * Lookups per second, best of several rounds, by wall clock and by this process's CPU time (the
 * machine may be shared; CPU time is what one dedicated core would do).
 */
function lookupsPerSecond(lookup, queries) {
  for (let i = 0; i < 50_000; i++) lookup(queries[i % queries.length]); // warm up
  let bestWall = 0;
  let bestCpu = 0;
  let hits = 0;
  let done = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until || done === 0) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    hits = 0;
    for (let i = 0; i < queries.length; i++) if (lookup(queries[i])) hits++;
    const cpuUsed = process.cpuUsage(cpu);
    const wallSeconds = (performance.now() - wall) / 1000;
    bestWall = Math.max(bestWall, queries.length / wallSeconds);
    bestCpu = Math.max(bestCpu, queries.length / ((cpuUsed.user + cpuUsed.system) / 1e6));
    done += queries.length;
  }
  return { wall: Math.round(bestWall), cpu: Math.round(bestCpu), hitShare: hits / queries.length };
}

const rate = (r) => `${r.wall.toLocaleString('en')} /s wall, ${r.cpu.toLocaleString('en')} /s per CPU-second`;

function probeRss(blobPath) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(here, 'rss-probe.mjs'), distDir, blobPath], { encoding: 'utf8' });
  return JSON.parse(out);
}

function run(label, sources, listedNames, parseMs) {
  const started = performance.now();
  const { blob, stats } = compileLists(sources);
  const compileMs = performance.now() - started;
  const blobPath = join(work, `${label.replace(/\W+/g, '-')}.slfm`);
  writeFileSync(blobPath, blob);
  const rss = probeRss(blobPath);
  const matcher = DomainMatcher.load(blob);
  const queries = queryMix(listedNames, 300_000, 7);
  const hot = queries.slice(0, 4096);
  const raw = lookupsPerSecond((q) => matcher.match(q).listed, queries);
  const rawHot = lookupsPerSecond((q) => matcher.match(q).listed, hot);
  const policy = compilePolicy(matcher, presetProfile('thcs'));
  const withPolicy = lookupsPerSecond((q) => decide(policy, policy.match(q)) === 'block', queries);
  // A lesson: allowlist-only over the THCS baseline (a floor), with a teacher's 20 extra sites.
  const teacherSites = listedNames.slice(0, 20);
  const lesson = compilePolicy(matcher, tighten(presetProfile('thcs'), lessonAllowlistProfile('lesson', 'Tin học 7A', teacherSites)));
  const withLesson = lookupsPerSecond((q) => decide(lesson, lesson.match(q)) === 'block', queries);
  console.log(`\n## ${label}`);
  console.log(`names in: ${stats.inputNames.toLocaleString('en')}, entries: ${stats.entries.toLocaleString('en')} (folded ${stats.foldedNames.toLocaleString('en')}), categories: ${stats.categories}, collisions: ${stats.collisions}`);
  if (parseMs !== undefined) console.log(`parse: ${Math.round(parseMs)} ms`);
  console.log(`compile: ${Math.round(compileMs)} ms, blob: ${mb(blob.length)}`);
  console.log(`agent (fresh process): load ${rss.loadMs} ms, RSS +${mb(rss.rssDeltaBytes)} (buffers +${mb(rss.externalDeltaBytes)}, heap +${mb(rss.heapDeltaBytes)}), RSS after ${mb(rss.rssAfterBytes)}`);
  console.log(`matcher.match, 300k-query mix (${(raw.hitShare * 100).toFixed(0)}% listed): ${rate(raw)}`);
  console.log(`matcher.match, same mix cycling 4096 queries (table lines cached): ${rate(rawHot)}`);
  console.log(`policy.match + decide (THCS preset), 300k mix: ${rate(withPolicy)}`);
  console.log(`policy.match + decide (allowlist-only lesson over THCS, 20 extra sites), 300k mix: ${rate(withLesson)}`);
}

console.log(`# SafeLab filtering benchmark (node ${process.version}, ${new Date().toISOString()})`);

{
  let started = performance.now();
  const names = syntheticDomains(nameCount);
  const generateMs = performance.now() - started;
  const text = names.join('\n');
  started = performance.now();
  const parsed = parseDomainList(text, 'synthetic');
  const parseMs = performance.now() - started;
  console.log(`\n(generated ${names.length.toLocaleString('en')} synthetic names in ${Math.round(generateMs)} ms, ${mb(text.length)} of text)`);
  // Spread over 8 categories like a real mix; a few names sit in two categories.
  const categories = ['adult', 'gambling', 'games', 'redirector', 'publicite', 'malware', 'phishing', 'social_networks'];
  const sources = categories.map((category, c) => ({ category, names: parsed.block.filter((_, i) => i % 8 === c || i % 101 === c) }));
  run(`synthetic ${names.length.toLocaleString('en')} names`, sources, parsed.block, parseMs);
}

if (existsSync(ut1Dir)) {
  const { readUt1Folder } = await load('main/filtering/ut1.js');
  const { sourcesOfList } = await load('shared/filtering/compile.js');
  const { ut1CategoryKind } = await load('shared/filtering/categories.js');
  const started = performance.now();
  const categories = await readUt1Folder(ut1Dir);
  const parseMs = performance.now() - started;
  const sources = categories.flatMap(({ category, parsed }) => sourcesOfList(category, ut1CategoryKind(category), parsed));
  run(`UT1 reference data (${categories.length} categories, ${ut1Dir})`, sources, categories.flatMap((c) => c.parsed.block), parseMs);
} else {
  console.log(`\n(UT1 data not found at ${ut1Dir}; skipped)`);
}

rmSync(work, { recursive: true, force: true });
