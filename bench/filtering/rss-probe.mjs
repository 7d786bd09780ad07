// Fresh-process probe: RSS before and after reading one blob file and loading the matcher (what an agent pays).
// Usage: node --expose-gc bench/filtering/rss-probe.mjs <dist dir> <blob file>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distDir, blobPath] = process.argv.slice(2);
const { DomainMatcher } = await import(pathToFileURL(join(distDir, 'shared/filtering/matcher.js')).href);

const settle = () => {
  globalThis.gc?.();
  globalThis.gc?.();
};
settle();
const before = process.memoryUsage();
const started = performance.now();
const blob = readFileSync(blobPath);
const matcher = DomainMatcher.load(blob);
const loadMs = performance.now() - started;
matcher.match('warm.example.com');
settle();
const after = process.memoryUsage();
process.stdout.write(
  JSON.stringify({
    loadMs: Math.round(loadMs * 10) / 10,
    rssDeltaBytes: after.rss - before.rss,
    externalDeltaBytes: after.external - before.external, // includes arrayBuffers (the blob)
    heapDeltaBytes: after.heapUsed - before.heapUsed,
    rssAfterBytes: after.rss,
    entries: matcher.entryCount,
  }),
);
