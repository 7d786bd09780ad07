// Linux desktop benchmark: SafeLab's X11 SessionDesktop against Veyon on the same Xvfb screens,
// in the same run. Figures: CPU per thumbnail (capture + scale + encode), bytes per 320 px
// thumbnail, wire bytes per second at one thumbnail a second, RSS idle and serving, time from a
// lock command to a locked screen. Prints a table with the ratio ours/theirs and writes JSON.
//
// Usage: npx tsc -p tsconfig.build.json && node bench/linux/run.mjs
//   [--sizes 1366x768,1920x1080] [--busy-sizes 1920x1080] [--still-sizes ''] [--thumbs 20] [--idle-seconds 3]
//   [--serve-seconds 10] [--lock-rounds 3] [--veyon yes|no]
// Needs xvfb and xterm; the Veyon half needs veyon-service veyon-master veyon-plugins
// libqca-qt5-2-plugins and root (network + PID namespace). Every wait is bounded; every process
// started here is stopped at the end.

import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockTicksPerSecond, median, procStat, sleep } from './proc.mjs';
import { differs, openWatch, paintDesktop, timeUntil } from './screen-watch.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const sizes = (args.get('sizes') ?? '1366x768,1920x1080').split(',').map((s) => s.split('x').map(Number));
const thumbs = Number(args.get('thumbs') ?? 20);
const idleSeconds = Number(args.get('idle-seconds') ?? 3);
const serveSeconds = Number(args.get('serve-seconds') ?? 10);
const lockRounds = Number(args.get('lock-rounds') ?? 3);
/** Sizes also measured with a busy screen (a terminal redrawing most of the screen twice a second). */
const busySizes = (args.get('busy-sizes') ?? '1920x1080').split(',').filter(Boolean);
/** Sizes also measured with a still screen (a student reading), SafeLab only: shows the DAMAGE reuse. */
const stillSizes = (args.get('still-sizes') ?? '').split(',').filter(Boolean);
const wantVeyon = (args.get('veyon') ?? 'yes') !== 'no';
const lockCover = 0x0d2a45; // colours.lockCover in src/agent/platform/linux/panels.ts
const veyonKey = 'safelab-bench';
const frameHeaderBytes = 24; // src/shared/protocol/frame.ts

if (!existsSync(join(root, 'dist/agent/platform/linux/desktop.js'))) {
  console.error('build first: npx tsc -p tsconfig.build.json');
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
}
process.on('SIGINT', () => stopAll().then(() => process.exit(130)));

function startXvfb(width, height) {
  return new Promise((resolve, reject) => {
    const proc = track(spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '+extension', 'RANDR', '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] }));
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), 10_000);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start Xvfb: ${e.code === 'ENOENT' ? 'not installed (apt-get install xvfb)' : e.message}`));
    });
    proc.stdio[3].once('data', (d) => {
      clearTimeout(timer);
      resolve({ display: `:${d.toString().trim()}`, proc });
    });
  });
}

/** The SafeLab side: the Linux desktop alone in a child process, driven over IPC. */
function startProbe() {
  const child = track(fork(join(here, 'agent-probe.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let next = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(m.error));
  });
  return {
    pid: child.pid,
    call: (op, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        child.send({ id, op, ...params });
      }),
  };
}

/**
 * Memory and CPU of another capture path (LinuxDesktopOptions.capture), for comparison with the
 * default (MIT-SHM bands): 'x11' = the same bands over the X socket, 'native' = node-screenshots.
 */
async function measureOursCaptureSource(display, capture) {
  const probe = startProbe();
  await probe.call('start', { display, capture });
  await sleep(idleSeconds * 1000);
  const idleRss = procStat(probe.pid).rssBytes;
  await probe.call('captureBatch', { count: 3, width: 320, quality: 60, fresh: true });
  const batch = await probe.call('captureBatch', { count: thumbs, width: 320, quality: 60, fresh: true });
  const rss = procStat(probe.pid).rssBytes;
  await probe.call('close').catch(() => undefined);
  return { idleRssBytes: idleRss, rssAfterBytes: rss, cpuMsPerThumbnail: batch.cpuMicrosPerThumbnail / 1000, wallMsMedian: median(batch.wall) };
}

async function measureOurs(display, width, height) {
  const probe = startProbe();
  await probe.call('start', { display });
  await sleep(idleSeconds * 1000);
  const idleRss = procStat(probe.pid).rssBytes;

  await probe.call('captureBatch', { count: 3, width: 320, quality: 60, fresh: true }); // warm-up (first sharp/pango use)
  const batch = await probe.call('captureBatch', { count: thumbs, width: 320, quality: 60, fresh: true });
  const bytesPerThumbnail = {};
  for (const q of [50, 60, 70]) bytesPerThumbnail[q] = median((await probe.call('captureBatch', { count: 5, width: 320, quality: q })).bytes);

  const s0 = procStat(probe.pid);
  let rssMax = 0;
  const servingBytes = [];
  const t0 = performance.now();
  for (let i = 0; i < serveSeconds; i++) {
    servingBytes.push((await probe.call('capture', { width: 320, quality: 60 })).bytes);
    rssMax = Math.max(rssMax, procStat(probe.pid).rssBytes);
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
  }
  const s1 = procStat(probe.pid);

  const watch = await openWatch(display);
  const points = [{ x: 10, y: 10 }, { x: width - 10, y: 10 }, { x: 10, y: height - 50 }, { x: width - 10, y: height - 10 }];
  const baseline = await watch.read(points);
  const lock = [];
  for (let r = 0; r < lockRounds; r++) {
    const tLock = performance.now();
    const acked = probe.call('lock', { message: 'Các em hãy chú ý lên bảng' }).then(() => performance.now() - tLock);
    const visibleMs = await timeUntil(watch, points, (px) => px.every((p) => !differs(p, lockCover, 2)), tLock);
    const ackMs = await acked;
    const tUnlock = performance.now();
    await probe.call('unlock');
    const unlockMs = await timeUntil(watch, points, (px) => px.every((p, i) => !differs(p, baseline[i])), tUnlock);
    lock.push({ ackMs, visibleMs, unlockMs });
    await sleep(300);
  }
  // Recovery: the lock is up, a student unmaps its window, or kills its X connection (xkill).
  const recovery = {};
  await probe.call('lock', { message: 'Các em hãy chú ý lên bảng' });
  for (const [name, attack] of [
    ['unmapMs', 'windowunmap'],
    ['xkillMs', 'xkill'],
  ]) {
    const cover = spawnSync('xdotool', ['search', '--name', '^SafeLab lock$'], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' }).stdout.trim().split('\n')[0];
    const t = performance.now();
    if (attack === 'xkill') spawnSync('xkill', ['-id', cover], { env: { ...process.env, DISPLAY: display } });
    else spawnSync('xdotool', ['windowunmap', cover], { env: { ...process.env, DISPLAY: display } });
    // From the attack until the corners show the lock again. If the first look already finds it
    // back, the lock returned faster than we can watch: the figure is then that first look.
    let seenGone = false;
    let back = NaN;
    for (;;) {
      const locked = (await watch.read(points)).every((p) => !differs(p, lockCover, 2));
      const elapsed = performance.now() - t;
      if (!locked) seenGone = true;
      else {
        // xdotool/xkill had finished (so X had done the attack) before the first look.
        back = elapsed;
        break;
      }
      if (elapsed > 5_000) break;
      await sleep(1);
    }
    recovery[name] = back;
    recovery[`${name.replace('Ms', '')}SeenGone`] = seenGone;
  }
  await probe.call('unlock');
  watch.close();
  await probe.call('close').catch(() => undefined);
  return {
    recovery,
    tool: 'safelab',
    idle: { rssBytes: idleRss },
    backToBack: { cpuMsPerThumbnail: batch.cpuMicrosPerThumbnail / 1000, wallMsMedian: median(batch.wall) },
    bytesPerThumbnail,
    serving: {
      thumbnails: serveSeconds,
      cpuMsPerThumbnail: ((s1.cpuTicks - s0.cpuTicks) * 1000) / clockTicksPerSecond / serveSeconds,
      rssMaxBytes: rssMax,
      wireBytesPerSecond: median(servingBytes) + frameHeaderBytes,
    },
    lock,
  };
}

function prepareVeyon() {
  if (spawnSync('which', ['veyon-server']).status !== 0) return 'Veyon is not installed (apt-get install veyon-service veyon-master veyon-plugins libqca-qt5-2-plugins)';
  if (process.getuid() !== 0) return 'the Veyon half needs root (unshare -n -p for an isolated WebAPI)';
  const keys = spawnSync('veyon-cli', ['authkeys', 'list'], { encoding: 'utf8' }).stdout ?? '';
  if (!keys.includes(`${veyonKey}/private`)) spawnSync('veyon-cli', ['authkeys', 'create', veyonKey], { encoding: 'utf8' });
  // Key-file authentication, the method the WebAPI client of Veyon's own Python module uses.
  spawnSync('veyon-cli', ['config', 'set', 'Authentication/Method', '1']);
  return null;
}

function measureVeyon(display) {
  const logDir = mkdtempSync(join(tmpdir(), 'safelab-bench-veyon-'));
  return new Promise((resolve) => {
    const child = track(
      spawn('unshare', ['-n', '-p', '-f', '--mount-proc', process.execPath, join(here, 'veyon-probe.mjs'), '--display', display, '--key', veyonKey,
        '--idle-seconds', String(idleSeconds), '--serve-seconds', String(serveSeconds), '--lock-rounds', String(lockRounds), '--log-dir', logDir], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve({ ...JSON.parse(out.trim().split('\n').pop()), logDir });
      } catch {
        resolve({ tool: 'veyon', failures: [`veyon-probe exited ${code} without a result; logs in ${logDir}`] });
      }
    });
  });
}

const mb = (b) => (b / 1024 / 1024).toFixed(1);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—');
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

const results = { date: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, runs: [] };
const veyonProblem = wantVeyon ? prepareVeyon() : 'skipped (--veyon no)';
try {
  const scenarios = sizes.map(([width, height]) => ({ width, height, activity: 'typing' }));
  for (const size of busySizes) {
    const [width, height] = size.split('x').map(Number);
    scenarios.push({ width, height, activity: 'busy' });
  }
  for (const size of stillSizes) {
    const [width, height] = size.split('x').map(Number);
    scenarios.push({ width, height, activity: 'still' });
  }
  for (const { width, height, activity } of scenarios) {
    console.error(`— ${width}x${height}, ${activity} screen`);
    const x = await startXvfb(width, height);
    const desktopConn = await paintDesktop(x.display, width, height);
    // Something changing on screen. typing: a clock line four times a second (a student typing);
    // busy: a terminal over most of the screen redrawn twice a second (scrolling, video-like).
    const activityCommand =
      activity === 'busy'
        ? ['-geometry', `${Math.floor(width / 6.2)}x${Math.floor(height / 13.5)}+0+0`, '-e', 'sh', '-c', 'while :; do ls -la /usr/lib/x86_64-linux-gnu /usr/bin | shuf -n 80; sleep 0.5; done']
        : ['-geometry', `90x10+${Math.round(width * 0.2)}+${Math.round(height * 0.3)}`, '-e', 'sh', '-c', 'while :; do date +%T.%N; sleep 0.25; done'];
    const term = activity === 'still' ? null : track(spawn('xterm', activityCommand, { env: { ...process.env, DISPLAY: x.display }, stdio: 'ignore' }));
    await sleep(1000);
    const ours = await measureOurs(x.display, width, height);
    const oursX11 = activity === 'typing' ? await measureOursCaptureSource(x.display, 'x11') : null;
    const oursNative = activity === 'typing' ? await measureOursCaptureSource(x.display, 'native') : null;
    const veyon =
      activity === 'still' ? { tool: 'veyon', failures: ['not run for the still screen (SafeLab only)'] } : veyonProblem ? { tool: 'veyon', failures: [veyonProblem] } : await measureVeyon(x.display);
    results.runs.push({ screen: `${width}x${height}`, activity, ours, oursX11, oursNative, veyon });
    term?.kill('SIGTERM');
    desktopConn.close();
    x.proc.kill('SIGTERM');
  }
} finally {
  await stopAll();
}

mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results/linux-desktop.json');
writeFileSync(file, JSON.stringify(results, null, 2));

for (const run of results.runs) {
  const { ours, veyon } = run;
  const lockOurs = median(ours.lock.map((l) => l.visibleMs));
  const lockTheirs = veyon.lock ? median(veyon.lock.map((l) => l.visibleMs)) : NaN;
  const rows = [
    ['CPU ms / thumbnail, back to back (capture+scale+encode)', ours.backToBack.cpuMsPerThumbnail, NaN],
    ['CPU ms / thumbnail at 1/s, student side', ours.serving.cpuMsPerThumbnail, veyon.serving?.studentCpuMsPerThumbnail],
    ['CPU ms / thumbnail at 1/s, incl. Veyon WebAPI (master side)', ours.serving.cpuMsPerThumbnail, (veyon.serving?.studentCpuMsPerThumbnail ?? NaN) + (veyon.serving?.webapiCpuMsPerThumbnail ?? NaN)],
    ['bytes / 320 px thumbnail, q50', ours.bytesPerThumbnail[50], veyon.bytesPerThumbnail?.[50]],
    ['bytes / 320 px thumbnail, q60', ours.bytesPerThumbnail[60], veyon.bytesPerThumbnail?.[60]],
    ['bytes / 320 px thumbnail, q70', ours.bytesPerThumbnail[70], veyon.bytesPerThumbnail?.[70]],
    ['wire bytes/s from the student PC at 1 thumbnail/s', ours.serving.wireBytesPerSecond, veyon.serving?.rfbBytesPerSecond],
    ['RSS idle, MB (student side)', ours.idle.rssBytes / 2 ** 20, (veyon.idle?.studentRssBytes ?? NaN) / 2 ** 20],
    ['RSS max serving 1/s, MB (student side)', ours.serving.rssMaxBytes / 2 ** 20, (veyon.serving?.studentRssMaxBytes ?? NaN) / 2 ** 20],
    ['lock command → screen locked, ms (median)', lockOurs, lockTheirs],
    ['lock command → acknowledged, ms (median)', median(ours.lock.map((l) => l.ackMs)), veyon.lock ? median(veyon.lock.map((l) => l.ackMs)) : NaN],
    ['lock command → lock window mapped, ms (median)', lockOurs, veyon.lock ? median(veyon.lock.map((l) => l.mappedMs)) : NaN],
    ['first lock → acknowledged (renders the message), ms', ours.lock[0]?.ackMs, veyon.lock?.[0]?.ackMs],
  ];
  console.log(`\n${run.screen}, ${run.activity} screen`);
  console.log('| figure | SafeLab | Veyon | ours/theirs |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [label, a, b] of rows) console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b)} |`);
  if (ours.recovery) console.log(`SafeLab lock back after its window is unmapped: ${fmt(ours.recovery.unmapMs)} ms; after xkill of its X connection: ${fmt(ours.recovery.xkillMs)} ms`);
  for (const [label, o] of [
    ["capture 'x11' (GetImage bands, no shared memory)", run.oursX11],
    ["capture 'native' (node-screenshots whole frames)", run.oursNative],
  ]) {
    if (o) console.log(`SafeLab with ${label}: CPU ${fmt(o.cpuMsPerThumbnail)} ms/thumbnail back to back, RSS idle ${mb(o.idleRssBytes)} MB, after ${thumbs} thumbnails ${mb(o.rssAfterBytes)} MB`);
  }
  if (veyon.failures?.length) console.log(`Veyon problems: ${veyon.failures.join('; ')}`);
  if (veyon.idle?.studentProcesses) console.log(`Veyon student-side processes: ${veyon.idle.studentProcesses.join(', ')}; WebAPI RSS ${mb(veyon.idle.webapiRssBytes)} MB`);
}
console.log(`\nresults: ${file}`);
