// The real agent on a real X screen, driven by a real console over its TLS websocket: what a
// student PC costs and how fast a lock lands when the teacher presses the button. Unlike run.mjs
// (the X11 desktop alone in a probe, beside Veyon), this is the whole agent process — wire, DNS
// filter, inventory — and lock latency includes the console, the API and the wire, as Veyon's
// WebAPI figure in run.mjs includes its HTTP and VNC path.
//
// Usage: npm run build && node bench/linux/agent-wire.mjs [--sizes 1366x768,1920x1080]
//          [--idle-seconds 31] [--serve-seconds 20] [--locks 10]
// Needs xvfb and xterm. Every process is stopped and every temp folder removed at the end.
// The agent's DNS filter runs on a private high port and touches neither resolv.conf nor nftables.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { clockTicksPerSecond, median, procStat, sleep } from './proc.mjs';
import { differs, openWatch, paintDesktop, timeUntil } from './screen-watch.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const sizes = (args.get('sizes') ?? '1366x768,1920x1080').split(',').map((s) => s.split('x').map(Number));
// Longer than two console heartbeats (15 s), so the idle figure includes the pings.
const idleSeconds = Number(args.get('idle-seconds') ?? 31);
const serveSeconds = Number(args.get('serve-seconds') ?? 20);
const locks = Number(args.get('locks') ?? 10);
const lockCover = 0x0d2a45; // colours.lockCover in src/agent/platform/linux/panels.ts
const frameHeaderBytes = 24; // src/shared/protocol/frame.ts
const MB = 2 ** 20;

if (!existsSync(join(root, 'dist/agent/cli.js'))) {
  console.error('build first: npm run build');
  process.exit(2);
}

const started = [];
function track(proc) {
  started.push(proc);
  return proc;
}
async function stopAll() {
  for (const p of started.reverse()) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await Promise.race([new Promise((r) => p.once('exit', r)), sleep(3000).then(() => p.kill('SIGKILL'))]);
    }
  }
  started.length = 0;
}
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

function startXvfb(width, height) {
  return new Promise((resolve, reject) => {
    const proc = track(spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '+extension', 'RANDR', '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] }));
    const timer = setTimeout(() => reject(new Error('Xvfb did not start within 10 s')), 10_000);
    proc.once('error', reject);
    proc.stdio[3].once('data', (d) => {
      clearTimeout(timer);
      resolve({ display: `:${d.toString().trim()}`, proc });
    });
  });
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

function runToEnd(argv, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function measure(width, height) {
  const dir = mkdtempSync(join(tmpdir(), 'safelab-bench-wire-'));
  try {
    const x = await startXvfb(width, height);
    const desktopConn = await paintDesktop(x.display, width, height);
    // A student typing: one clock line four times a second.
    track(spawn('xterm', ['-geometry', `90x10+${Math.round(width * 0.2)}+${Math.round(height * 0.3)}`, '-e', 'sh', '-c', 'while :; do date +%T.%N; sleep 0.25; done'], { env: { ...process.env, DISPLAY: x.display }, stdio: 'ignore' }));

    const consoleDir = join(dir, 'console');
    const consoleProc = track(
      spawn(process.execPath, [join(root, 'dist/main/start.js'), '--web', '--no-demo', '--data-dir', consoleDir, '--agent-host', '127.0.0.1', '--agent-port', '0', '--api-port', '0', '--thumbnail-interval-ms', '1000'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, SAFELAB_DATA_DIR: '' },
      }),
    );
    const info = await waitFor('console.json', () => existsSync(join(consoleDir, 'console.json')) && JSON.parse(readFileSync(join(consoleDir, 'console.json'), 'utf8')), 30_000);
    const call = async (method, input = {}) => {
      const res = await fetch(`${info.apiUrl}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}` },
        body: JSON.stringify(input),
      });
      if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const labId = (await call('labs.list'))[0].id;
    const { code } = await call('enrolment.create', { labId });
    const agentDir = join(dir, 'agent');
    const enrolled = await runToEnd([join(root, 'dist/agent/cli.js'), 'enrol', '--console', `wss://127.0.0.1:${info.agentPort}/agent`, '--code', code, '--data-dir', agentDir, '--hostname', 'PC-01'], { SAFELAB_AGENT_DATA_DIR: '' });
    if (enrolled.code !== 0) throw new Error(`enrol exited ${enrolled.code}: ${enrolled.stderr.slice(-400)}`);
    const agent = track(
      spawn(
        process.execPath,
        [join(root, 'dist/agent/cli.js'), 'run', '--platform', 'linux', '--display', x.display, '--data-dir', agentDir, '--hostname', 'PC-01',
          '--dns-listen', '127.0.0.1:0', '--dns-upstream', '127.0.0.1:9', '--system-resolver', 'off', '--dns-firewall', 'off'],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SAFELAB_AGENT_DATA_DIR: '', DISPLAY: '' } },
      ),
    );
    const machine = await waitFor('the agent online', async () => (await call('machines.list', { labId })).find((m) => m.online), 30_000);
    const machineIds = [machine.id];
    // Start-up work (inventory in a worker, first list push) settles first.
    await waitFor('inventory', async () => (await call('machines.inventory', { machineId: machine.id })) !== null, 60_000);
    await sleep(5000);

    const idle0 = procStat(agent.pid);
    await sleep(idleSeconds * 1000);
    const idle1 = procStat(agent.pid);

    // Serving: a lesson with thumbnails at one a second (the console pulls, the agent captures).
    const sizesSeen = [];
    const events = new WebSocket(`${info.apiUrl.replace('http', 'ws')}/api/events`, [`safelab.${info.token}`]);
    events.on('message', (data) => {
      const e = JSON.parse(data.toString());
      if (e.type === 'thumbnail') sizesSeen.push(Math.floor((e.jpegBase64.length * 3) / 4));
    });
    await new Promise((resolve, reject) => {
      events.once('open', resolve);
      events.once('error', reject);
    });
    await call('lessons.start', { labId, className: 'Bench' });
    await sleep(4000); // the first thumbnail loads the image code
    sizesSeen.length = 0;
    const serve0 = procStat(agent.pid);
    let rssMax = 0;
    for (let i = 0; i < serveSeconds; i++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, procStat(agent.pid).rssBytes);
    }
    const serve1 = procStat(agent.pid);
    const frames = sizesSeen.length;
    const jpegMedian = median(sizesSeen);

    // Lock from the console's API until all four corners of the X screen show the lock.
    const watch = await openWatch(x.display);
    const points = [{ x: 10, y: 10 }, { x: width - 10, y: 10 }, { x: 10, y: height - 50 }, { x: width - 10, y: height - 10 }];
    const baseline = await watch.read(points);
    const lockRounds = [];
    for (let r = 0; r < locks; r++) {
      const t0 = performance.now();
      const acked = call('commands.run', { machineIds, command: { name: 'lock', message: 'Các em hãy chú ý lên bảng' } }).then((outcome) => ({ ms: performance.now() - t0, outcome }));
      const visibleMs = await timeUntil(watch, points, (px) => px.every((p) => !differs(p, lockCover, 2)), t0);
      const ack = await acked;
      if (ack.outcome.results[0]?.status !== 'done') throw new Error(`lock round ${r}: ${JSON.stringify(ack.outcome.results[0])}`);
      const t1 = performance.now();
      await call('commands.run', { machineIds, command: { name: 'unlock' } });
      const unlockMs = await timeUntil(watch, points, (px) => px.every((p, i) => !differs(p, baseline[i])), t1);
      lockRounds.push({ visibleMs, ackMs: ack.ms, consoleMs: ack.outcome.finishedAt - ack.outcome.startedAt, unlockMs });
      await sleep(300);
    }
    watch.close();
    await call('lessons.end', { labId });
    events.close();
    desktopConn.close();

    return {
      screen: `${width}x${height}`,
      idle: { rssMB: idle1.rssBytes / MB, cpuPct: ((idle1.cpuTicks - idle0.cpuTicks) / clockTicksPerSecond / idleSeconds) * 100 },
      serving: {
        frames,
        seconds: serveSeconds,
        rssMaxMB: rssMax / MB,
        cpuPct: ((serve1.cpuTicks - serve0.cpuTicks) / clockTicksPerSecond / serveSeconds) * 100,
        cpuMsPerThumbnail: frames ? ((serve1.cpuTicks - serve0.cpuTicks) * 1000) / clockTicksPerSecond / frames : NaN,
        jpegBytesMedian: jpegMedian,
        wireBytesPerSecond: frames ? (jpegMedian + frameHeaderBytes) * (frames / serveSeconds) : NaN,
      },
      lock: {
        rounds: lockRounds.length,
        first: lockRounds[0],
        visibleMsMedian: median(lockRounds.map((l) => l.visibleMs)),
        visibleMsMax: Math.max(...lockRounds.map((l) => l.visibleMs)),
        ackMsMedian: median(lockRounds.map((l) => l.ackMs)),
        consoleMsMedian: median(lockRounds.map((l) => l.consoleMs)),
        unlockMsMedian: median(lockRounds.map((l) => l.unlockMs)),
      },
    };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const machineInfo = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: loadavg().map((l) => l.toFixed(2)) };
const results = [];
for (const [width, height] of sizes) {
  process.stderr.write(`agent-wire: ${width}x${height}…\n`);
  results.push(await measure(width, height));
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/linux-agent-wire.json'), JSON.stringify({ machine: machineInfo, date: new Date().toISOString(), results }, null, 2));

const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
console.log(`machine: ${machineInfo.cpu}, ${machineInfo.cores} cores, ${machineInfo.memoryGB} GB, node ${machineInfo.node}; load average at start ${machineInfo.loadAverageAtStart.join(' / ')}`);
console.log('| screen | agent RSS idle MB | agent CPU idle % | RSS max serving 1/s MB | CPU % serving 1/s | CPU ms / thumbnail | thumbnails (s) | JPEG bytes median | wire KB/s | lock: button → screen locked, median / max ms | lock acknowledged (API round trip) median ms | first lock → locked ms | unlock → desktop back median ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.screen} | ${f(r.idle.rssMB)} | ${f(r.idle.cpuPct, 2)} | ${f(r.serving.rssMaxMB)} | ${f(r.serving.cpuPct, 1)} | ${f(r.serving.cpuMsPerThumbnail)} | ${r.serving.frames} (${r.serving.seconds}) | ${r.serving.jpegBytesMedian} | ${f(r.serving.wireBytesPerSecond / 1024, 2)} | ` +
      `${f(r.lock.visibleMsMedian)} / ${f(r.lock.visibleMsMax)} | ${f(r.lock.ackMsMedian)} | ${f(r.lock.first?.visibleMs)} | ${f(r.lock.unlockMsMedian)} |`,
  );
}
