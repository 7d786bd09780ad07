// Runs the benchmark suites one after another (never together: they would measure each other),
// passing each suite's tables through and keeping a copy in bench/results/<suite>.md.
//
// Usage: npm run bench [-- --only lab,filtering,dns,linux] [-- --quick]
//   --quick  shorter runs with fewer agents (a smoke check that every suite still works; its
//            figures are not the ones to record in BENCHMARKS.md)
// `npm run bench` builds first. Each suite also runs on its own: see bench/README.md.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1].split(',')) : null;

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;

/** One suite: the script, its arguments (full and quick), and what it needs on the machine. */
const suites = [
  {
    name: 'lab',
    what: 'N simulated agents against one console: agent and console RSS/CPU, lock-all latency, bytes per thumbnail',
    script: 'bench/lab/run.mjs',
    full: ['--agents', '12,60,200'],
    quick: ['--agents', '12', '--locks', '10', '--flow-seconds', '5', '--idle-seconds', '5', '--settle-seconds', '2'],
    needs: [],
  },
  {
    name: 'filtering',
    what: 'list compiler and matcher: compile time, blob size, agent memory, lookups per second',
    script: 'bench/filtering/bench.mjs',
    full: [],
    quick: ['--names', '100000', '--seconds', '0.5'],
    needs: [],
  },
  {
    name: 'dns',
    what: "the agent's DNS filter against dnsmasq under dnsperf",
    script: 'bench/dns/run.mjs',
    full: ['--domains', '1000000', '--seconds', '6', '--latency-seconds', '4'],
    quick: ['--domains', '100000', '--seconds', '2', '--latency-seconds', '2', '--rounds', '1'],
    needs: ['dnsmasq', 'dnsperf'],
  },
  {
    name: 'linux',
    what: 'the X11 desktop (capture, lock) against Veyon on the same Xvfb screens',
    script: 'bench/linux/run.mjs',
    full: has('veyon-server') && isRoot ? [] : ['--veyon', 'no'],
    quick: ['--veyon', 'no', '--sizes', '1366x768', '--busy-sizes', '', '--thumbs', '5', '--serve-seconds', '3', '--lock-rounds', '1'],
    needs: ['Xvfb', 'xterm', 'xdotool'],
  },
  {
    name: 'linux-agent',
    what: 'the whole agent on an Xvfb screen driven by a real console over TLS: RSS/CPU idle and at 1 thumbnail/s, lock button → locked screen',
    script: 'bench/linux/agent-wire.mjs',
    full: [],
    quick: ['--sizes', '1366x768', '--idle-seconds', '5', '--serve-seconds', '5', '--locks', '3'],
    needs: ['Xvfb', 'xterm'],
  },
];

if (!existsSync(join(root, 'dist/agent/cli.js'))) {
  console.error('Build first: npm run build (npm run bench does it for you).');
  process.exit(2);
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
console.log(`# SafeLab benchmarks, ${new Date().toISOString()}\n\nmachine: ${machine}; load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}${quick ? '; QUICK run (smoke check, not figures to record)' : ''}\n`);

mkdirSync(join(root, 'bench/results'), { recursive: true });
let failed = 0;
for (const suite of suites) {
  if (only && !only.has(suite.name)) continue;
  const missing = suite.needs.filter((tool) => !has(tool));
  if (missing.length > 0) {
    console.log(`## ${suite.name}: skipped, missing ${missing.join(', ')} (see bench/README.md)\n`);
    continue;
  }
  const args = [join(root, suite.script), ...(quick ? suite.quick : suite.full)];
  console.log(`## ${suite.name}: ${suite.what}\n\ncommand: node ${[suite.script, ...args.slice(1)].map((a) => (a === '' ? "''" : a)).join(' ')}\n`);
  const started = Date.now();
  const out = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      text += chunk;
      process.stdout.write(chunk);
    });
    child.on('exit', (code, signal) => resolve({ text, code, signal }));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(join(root, 'bench/results', `${suite.name}.md`), `machine: ${machine}\ncommand: node ${suite.script} ${args.slice(1).join(' ')}\n\n${out.text}`);
  if (out.code !== 0) {
    failed++;
    console.log(`\n${suite.name}: FAILED (exit ${out.code ?? out.signal}) after ${seconds} s\n`);
  } else {
    console.log(`\n(${suite.name}: ${seconds} s)\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
