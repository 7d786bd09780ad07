// Lab benchmark: N simulated agents against one console, all real processes on loopback — agent
// RSS/CPU idle and while thumbnails flow, console RSS/CPU idle and with thumbnails flowing,
// lock-all latency (p50/p99) and bytes per thumbnail.
//
// Usage: npm run build && node bench/lab/run.mjs [--agents 12,60,200]
//          [--locks 100] [--flow-seconds 20] [--idle-seconds 31] [--settle-seconds S]
//          [--enrol-concurrency 8] [--start-batch 25]
// Every wait is bounded; every process is killed and the temp folder removed at the end.
// Prints a Markdown table and writes bench/results/lab.json.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { frameHeaderBytes } from '../../dist/shared/protocol/frame.js';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const agentCounts = (args.get('agents') ?? '12,60,200').split(',').map(Number);
// Lock-all samples: each is a lock of every agent, followed by an unlock (not measured).
const lockSamples = Number(args.get('locks') ?? 100);
const flowSeconds = Number(args.get('flow-seconds') ?? 20);
// Longer than two console heartbeats (15 s each), so idle figures include the pings.
const idleSeconds = Number(args.get('idle-seconds') ?? 31);
const settleArg = args.get('settle-seconds');
const enrolConcurrency = Number(args.get('enrol-concurrency') ?? 8);
const startBatch = Number(args.get('start-batch') ?? 25);
const root = new URL('../..', import.meta.url).pathname;
const agentCli = join(root, 'dist/agent/cli.js');
const clockTicks = 100; // USER_HZ on Linux
const MB = 2 ** 20;

function procStat(pid) {
  // utime + stime in ticks, rss in pages (fields 14, 15, 24 of /proc/<pid>/stat).
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssBytes: Number(fields[21]) * 4096 };
}

/** Private bytes (USS): what this process alone costs; the rest of RSS is shared file pages. */
function privateBytes(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const loads = () => loadavg().map((x) => Math.round(x * 100) / 100);

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function run(argv) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Agent memory over all agents: RSS and private bytes, p50 and max, in MB. */
function agentMemory(agents) {
  const rss = sorted(agents.map((a) => procStat(a.pid).rssBytes / MB));
  const uss = sorted(agents.map((a) => privateBytes(a.pid) / MB));
  return { rssP50: percentile(rss, 50), rssMax: rss.at(-1), privateP50: percentile(uss, 50), privateMax: uss.at(-1) };
}

async function runOne(n) {
  const dataDir = mkdtempSync(join(tmpdir(), `safelab-bench-${n}-`));
  const children = [];
  const log = (text) => process.stderr.write(`  [${n}] ${text} (load ${loads().join(' ')})\n`);
  try {
    const consoleProc = spawn(process.execPath, [join(root, 'dist/main/start.js'), '--data-dir', dataDir, '--api-port', '0', '--agent-port', '0', '--no-demo', '--web'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(consoleProc);
    const info = await waitFor('console.json', () => existsSync(join(dataDir, 'console.json')) && JSON.parse(readFileSync(join(dataDir, 'console.json'), 'utf8')), 30_000);
    const call = async (method, input = {}) => {
      const res = await fetch(`${info.apiUrl}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}` },
        body: JSON.stringify(input),
      });
      if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const lab = await call('labs.create', { name: `Bench ${n}` });
    const enrolment = await call('enrolment.create', { labId: lab.id, ttlMinutes: 60 });
    const consoleUrl = `wss://127.0.0.1:${info.agentPort}/agent`;

    // Enrolment: a few short processes at a time (each is a Node start plus a PBKDF2 stretch of
    // the code, ~0.3 s of CPU). The console rate-limits failed enrolments only; a failure here
    // (a handshake timeout on a busy machine) is retried once.
    const agentDirs = Array.from({ length: n }, (_, j) => {
      const name = `PC-${String(j + 1).padStart(3, '0')}`;
      const dir = join(dataDir, 'agents', name);
      mkdirSync(dir, { recursive: true });
      return { name, dir };
    });
    const enrolStarted = Date.now();
    let next = 0;
    let retries = 0;
    await Promise.all(
      Array.from({ length: Math.min(enrolConcurrency, n) }, async () => {
        while (next < agentDirs.length) {
          const { name, dir } = agentDirs[next++];
          const argv = [agentCli, 'enrol', '--console', consoleUrl, '--code', enrolment.code, '--data-dir', dir, '--hostname', name];
          let result = await run(argv);
          if (result.code !== 0) {
            retries++;
            result = await run(argv);
          }
          if (result.code !== 0) throw new Error(`enrol ${name} exited ${result.code}: ${result.stderr.slice(-400)}`);
        }
      }),
    );
    const enrolSeconds = (Date.now() - enrolStarted) / 1000;
    log(`${n} enrolled in ${enrolSeconds.toFixed(1)} s (${retries} retried)`);

    // Start the agents in batches so a 200-PC start does not starve the console of CPU.
    const startStarted = Date.now();
    const agents = [];
    const onlineCount = async () => (await call('machines.list', { labId: lab.id })).filter((m) => m.online).length;
    for (let i = 0; i < n; i += startBatch) {
      for (const { name, dir } of agentDirs.slice(i, i + startBatch)) {
        const p = spawn(process.execPath, [agentCli, 'run', '--platform', 'simulated', '--data-dir', dir, '--hostname', name], { stdio: 'ignore' });
        children.push(p);
        agents.push(p);
      }
      await waitFor(`${agents.length} agents online`, async () => (await onlineCount()) >= agents.length, 60_000);
    }
    const startSeconds = (Date.now() - startStarted) / 1000;
    const machineIds = (await call('machines.list', { labId: lab.id })).map((m) => m.id);
    log(`${n} online ${startSeconds.toFixed(1)} s after the first start`);

    // Agent idle: no lesson, no commands. Start-up work settles first: every agent gathers its
    // inventory once at start (a worker thread running systeminformation, which spawns a few
    // system tools) — with 200 agents starting on 2 cores that takes a while.
    const inventoryStarted = Date.now();
    const withoutInventory = new Set(machineIds);
    await waitFor(
      'every inventory',
      async () => {
        for (const machineId of [...withoutInventory]) if ((await call('machines.inventory', { machineId })) !== null) withoutInventory.delete(machineId);
        return withoutInventory.size === 0;
      },
      60_000 + n * 1000,
    );
    const inventorySeconds = (Date.now() - inventoryStarted) / 1000;
    log(`every inventory in ${inventorySeconds.toFixed(1)} s more`);
    await sleep((settleArg !== undefined ? Number(settleArg) : 5 + n / 20) * 1000);
    const loadIdle = loads();
    const idleStart = agents.map((a) => procStat(a.pid));
    const consoleIdleStart = procStat(consoleProc.pid);
    await sleep(idleSeconds * 1000);
    const idleEnd = agents.map((a) => procStat(a.pid));
    const consoleIdleEnd = procStat(consoleProc.pid);
    const idleMemory = agentMemory(agents);
    const idleCpu = sorted(idleEnd.map((s, i) => (s.cpuTicks - idleStart[i].cpuTicks) / clockTicks / idleSeconds));
    log('idle measured');

    // Lock-all latency: console-side time from fan-out to the last acknowledgement.
    const lockMs = [];
    for (let r = 0; r < lockSamples * 2; r++) {
      const command = r % 2 === 0 ? { name: 'lock', message: 'Bench' } : { name: 'unlock' };
      const t0 = performance.now();
      const outcome = await call('commands.run', { machineIds, command });
      const rtt = performance.now() - t0;
      const done = outcome.results.filter((x) => x.status === 'done').length;
      if (done !== n) throw new Error(`round ${r}: only ${done}/${n} done`);
      if (command.name === 'lock') lockMs.push({ console: outcome.finishedAt - outcome.startedAt, api: rtt });
    }
    const lockConsole = sorted(lockMs.map((x) => x.console));
    const lockApi = sorted(lockMs.map((x) => x.api));
    log('lock-all measured');

    // Thumbnails flowing: a lesson in the lab; frames counted on the console's event stream.
    let frames = 0;
    let jpegBytes = 0;
    const events = new WebSocket(`${info.apiUrl.replace('http', 'ws')}/api/events`, [`safelab.${info.token}`]);
    events.on('message', (data) => {
      const e = JSON.parse(data.toString());
      if (e.type === 'thumbnail') {
        frames++;
        jpegBytes += Math.floor((e.jpegBase64.length * 3) / 4);
      }
    });
    await new Promise((resolve, reject) => {
      events.once('open', resolve);
      events.once('error', reject);
    });
    await call('lessons.start', { labId: lab.id, className: 'Bench' });
    // Every agent loads its image library on its first thumbnail: let that pass first.
    await sleep(5000);
    frames = 0;
    jpegBytes = 0;
    const flowStart = procStat(consoleProc.pid);
    const agentFlowStart = agents.map((a) => procStat(a.pid));
    await sleep(flowSeconds * 1000);
    const flowEnd = procStat(consoleProc.pid);
    const agentFlowEnd = agents.map((a) => procStat(a.pid));
    const loadFlow = loads();
    const flowFrames = frames;
    const flowBytes = jpegBytes;
    const flowMemory = agentMemory(agents);
    const consolePrivateFlow = privateBytes(consoleProc.pid);
    await call('lessons.end', { labId: lab.id });
    events.close();
    const agentFlowCpu = sorted(agentFlowEnd.map((s, i) => (s.cpuTicks - agentFlowStart[i].cpuTicks) / clockTicks / flowSeconds));
    const consoleFlowCpuSeconds = (flowEnd.cpuTicks - flowStart.cpuTicks) / clockTicks;
    const expectedRate = n / ((info.thumbnailIntervalMs ?? 2000) / 1000);
    const rate = flowFrames / flowSeconds;
    const cpuMsPerThumbnail = flowFrames ? (consoleFlowCpuSeconds * 1000) / flowFrames : null;
    log('thumbnails measured');

    return {
      agents: n,
      enrolSeconds,
      enrolRetries: retries,
      startSeconds,
      inventorySeconds,
      loadAverage: { idle: loadIdle, flowing: loadFlow },
      agentIdle: { ...idleMemory, cpuPctP50: percentile(idleCpu, 50) * 100, cpuPctMax: idleCpu.at(-1) * 100 },
      agentFlowing: { ...flowMemory, cpuPctP50: percentile(agentFlowCpu, 50) * 100, cpuPctMax: agentFlowCpu.at(-1) * 100 },
      consoleIdle: { rssMB: consoleIdleEnd.rssBytes / MB, cpuPctOfCore: ((consoleIdleEnd.cpuTicks - consoleIdleStart.cpuTicks) / clockTicks / idleSeconds) * 100 },
      consoleFlowing: {
        rssMB: flowEnd.rssBytes / MB,
        privateMB: consolePrivateFlow / MB,
        cpuPctOfCore: (consoleFlowCpuSeconds / flowSeconds) * 100,
        cpuMsPerThumbnail,
        // What the console would use at the full rate (every agent one thumbnail per interval).
        cpuPctOfCoreAtExpectedRate: cpuMsPerThumbnail === null ? null : (cpuMsPerThumbnail * expectedRate) / 10,
      },
      thumbnailsPerSecond: rate,
      expectedThumbnailsPerSecond: expectedRate,
      bytesPerThumbnail: flowFrames ? Math.round(flowBytes / flowFrames) : null,
      // On the wire each JPEG travels in one binary websocket message with a fixed frame header.
      wireBytesPerThumbnail: flowFrames ? Math.round(flowBytes / flowFrames) + frameHeaderBytes : null,
      lockAllMs: {
        rounds: lockMs.length,
        consoleP50: percentile(lockConsole, 50),
        consoleP99: percentile(lockConsole, 99),
        consoleMax: lockConsole.at(-1),
        apiP50: percentile(lockApi, 50),
        apiP99: percentile(lockApi, 99),
      },
    };
  } finally {
    for (const c of [...children].reverse()) c.kill('SIGTERM');
    await sleep(1500);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sleep(200);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: loads() };
const results = [];
for (const n of agentCounts) {
  process.stderr.write(`lab bench: ${n} agents… (load ${loads().join(' ')})\n`);
  results.push(await runOne(n));
  process.stderr.write(JSON.stringify(results.at(-1)) + '\n');
  // Let the machine calm down between sizes (200 processes just exited).
  await sleep(3000);
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/lab.json'), JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2));
const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' / ')}`);
console.log(
  '| agents | agent idle RSS p50/max MB (private p50) | agent idle CPU p50/max % | agent RSS with thumbnails p50/max MB (private p50) | agent CPU with thumbnails p50 % | console idle RSS MB / CPU % | console RSS MB with thumbnails | console CPU % of a core with thumbnails (at the full rate) | thumbs/s (expected) | bytes/thumb JPEG (with frame header) | lock-all p50/p99 ms (rounds) | load avg idle → flowing |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.agents} | ${fmt(r.agentIdle.rssP50)} / ${fmt(r.agentIdle.rssMax)} (${fmt(r.agentIdle.privateP50)}) | ${fmt(r.agentIdle.cpuPctP50, 2)} / ${fmt(r.agentIdle.cpuPctMax, 2)} | ` +
      `${fmt(r.agentFlowing.rssP50)} / ${fmt(r.agentFlowing.rssMax)} (${fmt(r.agentFlowing.privateP50)}) | ${fmt(r.agentFlowing.cpuPctP50, 2)} | ` +
      `${fmt(r.consoleIdle.rssMB)} / ${fmt(r.consoleIdle.cpuPctOfCore)} | ${fmt(r.consoleFlowing.rssMB)} | ${fmt(r.consoleFlowing.cpuPctOfCore)} (${fmt(r.consoleFlowing.cpuPctOfCoreAtExpectedRate)}) | ` +
      `${fmt(r.thumbnailsPerSecond)} (${fmt(r.expectedThumbnailsPerSecond)}) | ${r.bytesPerThumbnail ?? '—'} (${r.wireBytesPerThumbnail ?? '—'}) | ${fmt(r.lockAllMs.consoleP50, 0)} / ${fmt(r.lockAllMs.consoleP99, 0)} (${r.lockAllMs.rounds}) | ` +
      `${r.loadAverage.idle[0]} → ${r.loadAverage.flowing[0]} |`,
  );
}
