// Runs the agent's web filter alone in a process for the DNS benchmark: loads the last good list
// from <dataDir>, listens on 127.0.0.1:<port>, forwards to 127.0.0.1:<upstreamPort>.
// Prints one JSON line when ready ({ ready, loadMs, rssBytes }) and one with its stats on SIGTERM.
//
// Usage: node bench/dns/filter-process.mjs <dataDir> <port> <upstreamPort>

import { startWebFilter } from '../../dist/agent/dns/web-filter.js';

const [dataDir, port, upstreamPort] = process.argv.slice(2);
const t0 = performance.now();
const web = await startWebFilter({
  dataDir,
  listen: [{ host: '127.0.0.1', port: Number(port) }],
  upstreams: [{ host: '127.0.0.1', port: Number(upstreamPort) }],
});
const loadMs = performance.now() - t0;
if (global.gc) global.gc();
const status = web.status();
process.stdout.write(JSON.stringify({ ready: true, loadMs, rssBytes: process.memoryUsage().rss, startedFrom: status.startedFrom, entries: status.active?.listEntries ?? 0 }) + '\n');

process.on('SIGTERM', async () => {
  const s = web.status();
  process.stdout.write(JSON.stringify({ stats: s.filter, cache: s.cache, rssBytes: process.memoryUsage().rss }) + '\n');
  await web.stop();
  process.exit(0);
});
