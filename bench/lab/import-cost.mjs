// What each module the agent loads costs in memory: imports the given modules one after another
// in a fresh process and prints RSS (anonymous / file-backed, from /proc/self/status) and the V8
// heap after each, with a full GC before every reading.
//
// Usage: node --expose-gc bench/lab/import-cost.mjs [module …]
//   node --expose-gc bench/lab/import-cost.mjs zod ws systeminformation sharp
//   node --expose-gc bench/lab/import-cost.mjs ./dist/agent/run.js ./dist/agent/platform/simulated/desktop.js
// Without arguments it walks the agent's own layers in load order. Relative paths are from the
// repository root; bare names resolve from its node_modules. The first import also pays for
// Node's ESM loader warming up (~4 MB), so read the first line's delta with that in mind.
// (dist/agent/cli.js is not importable here: it runs the command line.)

import { readFileSync } from 'node:fs';

const root = new URL('../..', import.meta.url);
const defaults = [
  'zod',
  'ws',
  './dist/shared/i18n/index.js',
  './dist/shared/protocol/messages.js',
  './dist/agent/config.js',
  './dist/agent/connection.js',
  './dist/agent/run.js',
  'systeminformation',
  './dist/agent/dns/web-filter.js',
  'sharp',
];

function status() {
  const text = readFileSync('/proc/self/status', 'utf8');
  const mb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024;
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

const f = (x) => x.toFixed(1).padStart(6);
let last = null;
function report(label) {
  globalThis.gc?.();
  const s = status();
  const m = process.memoryUsage();
  const now = { ...s, heapUsed: m.heapUsed / 2 ** 20 };
  const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const delta = last ? `  (${signed(now.rss - last.rss)} RSS, ${signed(now.heapUsed - last.heapUsed)} heap)` : '';
  console.log(`${label.padEnd(42)} RSS ${f(s.rss)}  anon ${f(s.anon)}  file ${f(s.file)} | V8 heap used ${f(now.heapUsed)} total ${f(m.heapTotal / 2 ** 20)}${delta}`);
  last = now;
}

if (!globalThis.gc) console.log('(run with --expose-gc for stable heap figures)');
report('node itself');
for (const spec of process.argv.length > 2 ? process.argv.slice(2) : defaults) {
  const url = spec.startsWith('.') ? new URL(spec, root).href : import.meta.resolve(spec, root);
  await import(url);
  report(spec);
}
