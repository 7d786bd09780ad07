// What an agent process costs in memory: one console, one simulated agent per variant (node
// flags / environment), measured idle, while thumbnails flow, and idle again after the lesson.
// Reports RSS split into anonymous and file-backed pages, PSS and private (USS) bytes, and CPU.
//
// Usage: npm run build && node bench/lab/agent-memory.mjs [--settle-seconds 10] [--idle-seconds 20] [--flow-seconds 15]
//          [--replicas 3] [--together] [--variant 'label=--flag1 --flag2 ENV=value @path/to/other/dist/agent/cli.js'] … [--probe]
// Without --variant it compares the agent as launched by default with a bare `node` process.
// Each variant runs as `replicas` agents and the table shows medians: one process's figures move
// by a few MB with the moment of its last garbage collection.
// --probe loads bench/lab/memory-probe.mjs into each agent (adds ~0.2 MB) to print V8 heap spaces
// (SAFELAB_MEMORY_RAW=1: per agent). SAFELAB_AGENT_STDOUT=1 passes the agents' stdout through
// (for a variant with --trace-gc).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('../..', import.meta.url).pathname;
const variants = [];
let idleSeconds = 20;
let flowSeconds = 15;
let settleSeconds = 10;
let replicas = 3;
let together = false;
let probe = false;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--probe') probe = true;
  else if (arg === '--idle-seconds') idleSeconds = Number(process.argv[++i]);
  else if (arg === '--flow-seconds') flowSeconds = Number(process.argv[++i]);
  else if (arg === '--settle-seconds') settleSeconds = Number(process.argv[++i]);
  else if (arg === '--replicas') replicas = Number(process.argv[++i]);
  else if (arg === '--together') together = true;
  else if (arg === '--variant') {
    const text = process.argv[++i];
    const eq = text.indexOf('=');
    const label = eq < 0 ? text : text.slice(0, eq);
    const words = (eq < 0 ? '' : text.slice(eq + 1)).split(/\s+/).filter(Boolean);
    // KEY=VALUE words are environment, @PATH another build's agent CLI, the rest node flags.
    const isEnv = (w) => /^[A-Z_][A-Z0-9_]*=/.test(w);
    const env = Object.fromEntries(words.filter(isEnv).map((w) => w.split(/=(.*)/s).slice(0, 2)));
    const cli = words.find((w) => w.startsWith('@'))?.slice(1) ?? join(root, 'dist/agent/cli.js');
    variants.push({ label, flags: words.filter((w) => !isEnv(w) && !w.startsWith('@')), env, cli });
  } else throw new Error(`unknown argument ${arg}`);
}
if (variants.length === 0) variants.push({ label: 'default', flags: [], env: {}, cli: join(root, 'dist/agent/cli.js') });

/** Memory of a process from /proc, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return {
    rss: kb(status, 'VmRSS'),
    anon: kb(status, 'RssAnon'),
    file: kb(status, 'RssFile'),
    pss: kb(rollup, 'Pss'),
    uss: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty'),
    threads: kb(status, 'Threads') * 1024,
  };
}

function cpuTicks(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
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

async function heapOf(agent) {
  if (!probe) return null;
  rmSync(agent.probeOut, { force: true });
  agent.proc.kill('SIGUSR2');
  await waitFor('heap figures', () => existsSync(agent.probeOut), 5_000).catch(() => null);
  try {
    return JSON.parse(readFileSync(agent.probeOut, 'utf8'));
  } catch {
    return null;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'safelab-agent-memory-'));
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
  const lab = await call('labs.create', { name: 'Memory' });
  const enrolment = await call('enrolment.create', { labId: lab.id, ttlMinutes: 30 });
  const consoleUrl = `wss://127.0.0.1:${info.agentPort}/agent`;

  // A bare node process for the floor every agent pays.
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  children.push(bare);

  const agents = [];
  const runs = variants.flatMap((v) => Array.from({ length: replicas }, () => v));
  const enrolled = [];
  for (const [i, v] of runs.entries()) {
    const name = `MEM-${String(i + 1).padStart(2, '0')}`;
    const dir = join(dataDir, 'agents', name);
    mkdirSync(dir, { recursive: true });
    await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [v.cli, 'enrol', '--console', consoleUrl, '--code', enrolment.code, '--data-dir', dir, '--hostname', name], { stdio: 'ignore' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`enrol ${name} exited ${code}`))));
    });
    enrolled.push({ v, name, dir });
    // --together: every agent starts at the same moment (as after a power cut), not one by one.
    if (!together) start(enrolled.pop());
  }
  for (const e of enrolled) start(e);
  function start({ v, name, dir }) {
    const probeOut = join(dataDir, `${name}.heap.json`);
    const args = [...v.flags, ...(probe ? ['--import', join(root, 'bench/lab/memory-probe.mjs')] : []), v.cli, 'run', '--platform', 'simulated', '--data-dir', dir, '--hostname', name];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', process.env.SAFELAB_AGENT_STDOUT ? 'inherit' : 'ignore', 'inherit'], env: { ...process.env, ...v.env, SAFELAB_MEMORY_PROBE_OUT: probeOut } });
    children.push(proc);
    agents.push({ ...v, name, proc, probeOut });
  }
  await waitFor('agents online', async () => (await call('machines.list', { labId: lab.id })).filter((m) => m.online).length === agents.length, 30_000);

  const phase = async (label, seconds) => {
    const t0 = agents.map((a) => cpuTicks(a.proc.pid));
    await sleep(seconds * 1000);
    const rows = [];
    for (const [i, a] of agents.entries()) {
      rows.push({ variant: a.label, phase: label, cpuPct: ((cpuTicks(a.proc.pid) - t0[i]) / 100 / seconds) * 100, ...memory(a.proc.pid), heap: await heapOf(a) });
    }
    return rows;
  };

  // Start-up work (inventory, first GCs, the memory reducer) is over before "idle" is measured.
  await sleep(settleSeconds * 1000);
  const raw = [{ variant: 'bare node -e', phase: 'idle', cpuPct: 0, ...memory(bare.pid), heap: null }];
  raw.push(...(await phase('idle', idleSeconds)));
  await call('lessons.start', { labId: lab.id, className: 'Memory' });
  raw.push(...(await phase('thumbnails', flowSeconds)));
  await call('lessons.end', { labId: lab.id });
  raw.push(...(await phase('idle after lesson', idleSeconds)));

  // Median per variant and phase (the heap figures of the replica with the median RSS).
  const rows = [];
  for (const key of [...new Set(raw.map((r) => `${r.variant}\u0000${r.phase}`))]) {
    const group = raw.filter((r) => `${r.variant}\u0000${r.phase}` === key);
    const median = (field) => group.map((r) => r[field]).sort((a, b) => a - b)[Math.floor((group.length - 1) / 2)];
    const byRss = [...group].sort((a, b) => a.rss - b.rss);
    rows.push({
      variant: group[0].variant,
      phase: group[0].phase,
      ...Object.fromEntries(['rss', 'anon', 'file', 'pss', 'uss', 'threads', 'cpuPct'].map((k) => [k, median(k)])),
      rssRange: group.length > 1 ? `${byRss[0].rss.toFixed(1)}–${byRss.at(-1).rss.toFixed(1)}` : '',
      heap: byRss[Math.floor((group.length - 1) / 2)].heap,
    });
  }

  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  console.log(`load average (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  console.log(`${replicas} agent(s) per variant; medians (RSS range over the replicas)`);
  console.log('| variant | phase | RSS MB | (range) | anon | file | PSS | USS | threads | CPU % | V8 heap total/used MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const heap = r.heap ? `${f(r.heap.heapTotalMB)} / ${f(r.heap.heapUsedMB)}` : '—';
    console.log(`| ${r.variant} | ${r.phase} | ${f(r.rss)} | ${r.rssRange} | ${f(r.anon)} | ${f(r.file)} | ${f(r.pss)} | ${f(r.uss)} | ${r.threads} | ${f(r.cpuPct, 2)} | ${heap} |`);
  }
  if (probe && process.env.SAFELAB_MEMORY_RAW) {
    for (const r of raw.filter((x) => x.heap && x.phase === 'idle')) {
      console.log(`${r.variant} idle: RSS ${f(r.rss)} anon ${f(r.anon)} heap ${f(r.heap.heapTotalMB)}/${f(r.heap.heapUsedMB)} new ${f(r.heap.spaces.new_space.sizeMB)} old ${f(r.heap.spaces.old_space.sizeMB)}`);
    }
  }
  if (probe) {
    console.log('\nV8 heap spaces (size/used MB) at the last phase:');
    for (const r of rows.filter((x) => x.heap && x.phase === 'idle after lesson')) {
      console.log(`${r.variant}: ${Object.entries(r.heap.spaces).map(([k, s]) => `${k.replace('_space', '')} ${f(s.sizeMB)}/${f(s.usedMB)}`).join(', ')}; code ${f(r.heap.codeMB)}; external ${f(r.heap.externalMB)}`);
    }
  }
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await sleep(1000);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
