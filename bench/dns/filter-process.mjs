// Runs the agent's web filter alone in a process for the DNS benchmark: loads the last good list
// from <dataDir>, listens on 127.0.0.1:<port>, forwards to 127.0.0.1:<upstreamPort>.
// Prints one JSON line when ready ({ ready, loadMs, rssBytes }) and one with its stats on SIGTERM.
//
// Usage: node bench/dns/filter-process.mjs <dataDir> <port> <upstreamPort>

import dgram from 'node:dgram';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startWebFilter } from '../../dist/agent/dns/web-filter.js';

const [dataDir, port, upstreamPort] = process.argv.slice(2);

// With SAFELAB_BENCH_PROBE=1 (run.mjs --probe yes): the time from a client's query reaching the
// filter's JavaScript to its answer being handed to the socket, upstream round trip included, and
// from there to the send completing. Telling our code's share of a latency tail from the time a
// query waits for the process to run. Off by default: the bookkeeping would cost the q/s runs.
const inside = [];
const sending = [];
// Bounded: between two resets (SIGUSR2) the saturating runs would otherwise collect millions.
const maxSamples = 200_000;
if (process.env.SAFELAB_BENCH_PROBE === '1') {
  const listenPort = Number(port);
  const arrivals = new Map();
  const emit = dgram.Socket.prototype.emit;
  // Which sockets are the filter's listening ones, learnt when they first receive (then they are
  // bound; address() throws on a socket not bound yet, such as a fresh upstream one).
  const isListening = new WeakMap();
  dgram.Socket.prototype.emit = function (event, msg, rinfo) {
    if (event === 'message') {
      let listening = isListening.get(this);
      if (listening === undefined) isListening.set(this, (listening = this.address().port === listenPort));
      if (listening && msg.length >= 2) arrivals.set(`${rinfo.port}/${msg.readUInt16BE(0)}`, process.hrtime.bigint());
    }
    return emit.apply(this, arguments);
  };
  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (buf, ...rest) {
    if (isListening.get(this) === true && buf.length >= 2 && typeof rest[0] === 'number') {
      const key = `${rest[0]}/${buf.readUInt16BE(0)}`;
      const at = arrivals.get(key);
      if (at !== undefined) {
        arrivals.delete(key);
        const handed = process.hrtime.bigint();
        if (inside.length < maxSamples) inside.push(Number(handed - at) / 1e6);
        const i = rest.findIndex((x) => typeof x === 'function');
        const callback = i >= 0 ? rest[i] : undefined;
        const done = (...a) => {
          if (sending.length < maxSamples) sending.push(Number(process.hrtime.bigint() - handed) / 1e6);
          callback?.(...a);
        };
        if (i >= 0) rest[i] = done;
        else rest.push(done);
      }
    }
    return send.call(this, buf, ...rest);
  };
}
const spread = (values) => {
  if (values.length === 0) return undefined;
  const s = values.splice(0).sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { count: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] };
};
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

// Where a latency tail comes from (with --probe yes only: the 1 ms loop-delay timer and the GC
// observer would themselves change how often the process wakes): event-loop stalls and garbage-
// collection pauses, reset by SIGUSR2 (sent before and after each fixed-rate run).
const probing = process.env.SAFELAB_BENCH_PROBE === '1';
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let gcPauses = [];
if (probing) {
  loopDelay.enable();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push({ kind: e.detail?.kind ?? e.kind, ms: e.duration });
  }).observe({ entryTypes: ['gc'] });
}
const pauseSummary = () => {
  const byKind = {};
  for (const p of gcPauses) {
    const k = ({ 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-callbacks' })[p.kind] ?? String(p.kind);
    const b = (byKind[k] ??= { count: 0, totalMs: 0, maxMs: 0 });
    b.count++;
    b.totalMs += p.ms;
    b.maxMs = Math.max(b.maxMs, p.ms);
  }
  return {
    loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    gc: byKind,
    queryToAnswerMs: spread(inside),
    answerSendMs: spread(sending),
  };
};
process.on('SIGUSR2', () => {
  if (!probing) return;
  process.stdout.write(JSON.stringify({ pauses: pauseSummary() }) + '\n');
  loopDelay.reset();
  gcPauses = [];
});

process.on('SIGTERM', async () => {
  const s = web.status();
  process.stdout.write(JSON.stringify({ stats: s.filter, cache: s.cache, rssBytes: process.memoryUsage().rss }) + '\n');
  await web.stop();
  process.exit(0);
});
