// Lab benchmark: N simulated agents against one console — agent idle RSS/CPU, console RSS/CPU
// with thumbnails flowing, lock-all latency (p50/p99) and bytes per thumbnail.
//
// Usage: npm run build && node bench/lab/run.mjs [--agents 12,60,200] [--lock-rounds 40] [--flow-seconds 20]
// Real processes on loopback only; every wait is bounded; everything is killed at the end.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const agentCounts = (args.get('agents') ?? '12,60,200').split(',').map(Number);
const lockRounds = Number(args.get('lock-rounds') ?? 40);
const flowSeconds = Number(args.get('flow-seconds') ?? 20);
const idleSeconds = Number(args.get('idle-seconds') ?? 10);
const root = new URL('../..', import.meta.url).pathname;
const clockTicks = 100; // USER_HZ on Linux

function procStat(pid) {
  // utime + stime in ticks, rss in pages (fields 14, 15, 24 of /proc/<pid>/stat).
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssBytes: Number(fields[21]) * 4096 };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function runOne(n) {
  const dataDir = mkdtempSync(join(tmpdir(), `safelab-bench-${n}-`));
  const children = [];
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

    // Enrol in batches of 10 (each enrolment is a short process), then start every agent.
    const agentDirs = [];
    for (let i = 0; i < n; i += 10) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 10); j++) {
        const name = `PC-${String(j + 1).padStart(3, '0')}`;
        const dir = join(dataDir, 'agents', name);
        mkdirSync(dir, { recursive: true });
        agentDirs.push({ name, dir });
        batch.push(new Promise((resolve, reject) => {
          const p = spawn(process.execPath, [join(root, 'dist/agent/cli.js'), 'enrol', '--console', consoleUrl, '--code', enrolment.code, '--data-dir', dir, '--hostname', name], { stdio: 'ignore' });
          p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`enrol ${name} exited ${code}`))));
        }));
      }
      await Promise.all(batch);
    }
    const agents = agentDirs.map(({ name, dir }) => {
      const p = spawn(process.execPath, [join(root, 'dist/agent/cli.js'), 'run', '--platform', 'simulated', '--data-dir', dir, '--hostname', name], { stdio: 'ignore' });
      children.push(p);
      return p;
    });
    await waitFor(`${n} agents online`, async () => (await call('machines.list', { labId: lab.id })).filter((m) => m.online).length === n, 60_000 + n * 500);
    const machineIds = (await call('machines.list', { labId: lab.id })).map((m) => m.id);

    // Agent idle: no lesson, no commands.
    await sleep(2000);
    const idleStart = agents.map((a) => procStat(a.pid));
    await sleep(idleSeconds * 1000);
    const idleEnd = agents.map((a) => procStat(a.pid));
    const idleRss = idleEnd.map((s) => s.rssBytes).sort((a, b) => a - b);
    const idleCpu = idleEnd.map((s, i) => (s.cpuTicks - idleStart[i].cpuTicks) / clockTicks / idleSeconds).sort((a, b) => a - b);

    // Lock-all latency: console-side time from fan-out to the last acknowledgement.
    const lockMs = [];
    for (let r = 0; r < lockRounds; r++) {
      const command = r % 2 === 0 ? { name: 'lock', message: 'Bench' } : { name: 'unlock' };
      const t0 = performance.now();
      const outcome = await call('commands.run', { machineIds, command });
      const rtt = performance.now() - t0;
      const done = outcome.results.filter((x) => x.status === 'done').length;
      if (done !== n) throw new Error(`round ${r}: only ${done}/${n} done`);
      if (command.name === 'lock') lockMs.push({ console: outcome.finishedAt - outcome.startedAt, api: rtt });
    }
    const lockConsole = lockMs.map((x) => x.console).sort((a, b) => a - b);
    const lockApi = lockMs.map((x) => x.api).sort((a, b) => a - b);

    // Thumbnails flowing: a lesson in the lab, count frames through the event stream.
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
    await new Promise((resolve, reject) => { events.once('open', resolve); events.once('error', reject); });
    await call('lessons.start', { labId: lab.id, className: 'Bench' });
    await sleep(3000);
    frames = 0;
    jpegBytes = 0;
    const flowStart = procStat(consoleProc.pid);
    const agentFlowStart = agents.map((a) => procStat(a.pid));
    await sleep(flowSeconds * 1000);
    const flowEnd = procStat(consoleProc.pid);
    const agentFlowEnd = agents.map((a) => procStat(a.pid));
    const flowFrames = frames;
    const flowBytes = jpegBytes;
    await call('lessons.end', { labId: lab.id });
    events.close();
    const agentFlowCpu = agentFlowEnd.map((s, i) => (s.cpuTicks - agentFlowStart[i].cpuTicks) / clockTicks / flowSeconds).sort((a, b) => a - b);

    return {
      agents: n,
      agentIdleRssMB: { p50: percentile(idleRss, 50) / 2 ** 20, max: idleRss[idleRss.length - 1] / 2 ** 20 },
      agentIdleCpuPct: { p50: percentile(idleCpu, 50) * 100, max: idleCpu[idleCpu.length - 1] * 100 },
      agentFlowCpuPct: { p50: percentile(agentFlowCpu, 50) * 100, max: agentFlowCpu[agentFlowCpu.length - 1] * 100 },
      consoleFlowRssMB: flowEnd.rssBytes / 2 ** 20,
      consoleFlowCpuPctOfCore: ((flowEnd.cpuTicks - flowStart.cpuTicks) / clockTicks / flowSeconds) * 100,
      thumbnailsPerSecond: flowFrames / flowSeconds,
      expectedThumbnailsPerSecond: n / ((info.thumbnailIntervalMs ?? 2000) / 1000),
      bytesPerThumbnail: flowFrames ? Math.round(flowBytes / flowFrames) : null,
      lockAllMs: {
        rounds: lockMs.length,
        consoleP50: percentile(lockConsole, 50),
        consoleP99: percentile(lockConsole, 99),
        apiP50: percentile(lockApi, 50),
        apiP99: percentile(lockApi, 99),
      },
    };
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await sleep(1000);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [];
for (const n of agentCounts) {
  process.stderr.write(`lab bench: ${n} agents…\n`);
  results.push(await runOne(n));
  process.stderr.write(JSON.stringify(results.at(-1)) + '\n');
}
const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version };
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/lab.json'), JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2));
const fmt = (x, d = 1) => (x === null || Number.isNaN(x) ? '—' : x.toFixed(d));
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, node ${machine.node}`);
console.log('| agents | agent idle RSS p50/max MB | agent idle CPU p50/max % | console RSS MB (flowing) | console CPU % of a core (flowing) | thumbs/s (expected) | bytes/thumb | lock-all p50/p99 ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.agents} | ${fmt(r.agentIdleRssMB.p50)} / ${fmt(r.agentIdleRssMB.max)} | ${fmt(r.agentIdleCpuPct.p50, 2)} / ${fmt(r.agentIdleCpuPct.max, 2)} | ${fmt(r.consoleFlowRssMB)} | ${fmt(r.consoleFlowCpuPctOfCore)} | ${fmt(r.thumbnailsPerSecond)} (${fmt(r.expectedThumbnailsPerSecond)}) | ${r.bytesPerThumbnail ?? '—'} | ${fmt(r.lockAllMs.consoleP50)} / ${fmt(r.lockAllMs.consoleP99)} |`);
}
