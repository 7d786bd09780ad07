// The Veyon side of the Linux benchmark. Runs inside its own network and PID namespace
// (`unshare -n -p -f --mount-proc`, started by run.mjs): Veyon's WebAPI binds every address, so it
// must see only a private loopback; and when this process exits, every Veyon process goes with it.
// Measures the same figures as for SafeLab and prints them as one JSON line on stdout.
//
// Usage (from run.mjs): unshare -n -p -f --mount-proc node veyon-probe.mjs --display :N --key NAME
//   [--idle-seconds 3] [--serve-seconds 10] [--lock-rounds 3]

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { clockTicksPerSecond, median, procStat, sleep, treeStats, waitFor } from './proc.mjs';
import { differs, openWatch, timeUntil } from './screen-watch.mjs';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const display = args.get('display');
const keyName = args.get('key');
const idleSeconds = Number(args.get('idle-seconds') ?? 3);
const serveSeconds = Number(args.get('serve-seconds') ?? 10);
const lockRounds = Number(args.get('lock-rounds') ?? 3);
const logDir = args.get('log-dir') ?? '/tmp';

const api = 'http://127.0.0.1:11080/api/v1';
/** Veyon starts a feature worker process on the first lock: a few seconds. Longer = not shown. */
const lockVisibleTimeoutMs = 4_000;
const keyAuthMethod = '0c69b301-81b4-42d6-8fae-128cdd113314';
const screenLockFeature = 'ccb535a2-1d24-4cc1-a709-8b47d2b2ac79';
const log = (line) => process.stderr.write(`veyon-probe: ${line}\n`);
const failures = [];

spawnSync('ip', ['link', 'set', 'lo', 'up']);
const runtimeDir = '/tmp/safelab-bench-veyon-runtime';
mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
// Veyon refuses to lock a session it cannot classify; logind is absent here, so say it is a user session.
const env = { ...process.env, DISPLAY: display, XDG_SESSION_CLASS: 'user', XDG_SESSION_TYPE: 'x11', XDG_RUNTIME_DIR: runtimeDir };
const out = (name) => openSync(`${logDir}/veyon-${name}.log`, 'w');
const server = spawn('veyon-server', [], { env, stdio: ['ignore', out('server'), out('server-err')] });
const webapi = spawn('veyon-cli', ['webapi', 'runserver'], { env, stdio: ['ignore', out('webapi'), out('webapi-err')] });

async function call(method, path, { headers = {}, body } = {}) {
  const res = await fetch(`${api}/${path}`, {
    method,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const buf = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${buf.toString()}`);
  return buf;
}

/** Student side = what runs on the student PC: veyon-server with its x11vnc and feature workers. */
const studentSide = () => treeStats([server.pid]);
const masterSide = () => procStat(webapi.pid);

/** Bytes veyon-server sent to its VNC client (the WebAPI): what would cross the LAN. */
function rfbBytesSent() {
  const res = spawnSync('ss', ['-tinH', 'state', 'established', '( sport = :11100 )'], { encoding: 'utf8' });
  return [...res.stdout.matchAll(/bytes_sent:(\d+)/g)].reduce((t, m) => t + Number(m[1]), 0);
}

const result = { tool: 'veyon', version: spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'veyon-service'], { encoding: 'utf8' }).stdout };
let watch;
try {
  await waitFor('the Veyon WebAPI', () => call('GET', 'authentication/localhost').then(() => true), 20_000, 200);
  const keydata = readFileSync(`/etc/veyon/keys/private/${keyName}/key`, 'utf8');
  // veyon-server starts after the WebAPI answers; until it listens, authentication fails.
  const auth = await waitFor(
    'authentication at veyon-server',
    async () => JSON.parse((await call('POST', 'authentication/localhost', { body: { method: keyAuthMethod, credentials: { keyname: keyName, keydata } } })).toString()),
    20_000,
    500,
  );
  const headers = { 'Connection-Uid': auth['connection-uid'] };
  const thumbnail = (quality, width = 320) => call('GET', `framebuffer?format=jpeg&width=${width}&quality=${quality}`, { headers });
  await waitFor('the Veyon framebuffer', () => thumbnail(60).then(() => true), 30_000, 250);

  await sleep(idleSeconds * 1000);
  const idle = studentSide();
  result.idle = { studentRssBytes: idle.rssBytes, studentProcesses: idle.processes, webapiRssBytes: masterSide()?.rssBytes ?? NaN };

  result.bytesPerThumbnail = {};
  for (const q of [50, 60, 70]) {
    const sizes = [];
    for (let i = 0; i < 5; i++) sizes.push((await thumbnail(q)).length);
    result.bytesPerThumbnail[q] = median(sizes);
  }

  // One thumbnail a second, as a teacher's grid would ask, with the screen changing.
  const s0 = studentSide();
  const m0 = masterSide();
  const rfb0 = rfbBytesSent();
  let rssMax = 0;
  const started = performance.now();
  for (let i = 0; i < serveSeconds; i++) {
    await thumbnail(60);
    rssMax = Math.max(rssMax, studentSide().rssBytes);
    await sleep(Math.max(0, started + (i + 1) * 1000 - performance.now()));
  }
  const s1 = studentSide();
  const m1 = masterSide();
  result.serving = {
    thumbnails: serveSeconds,
    studentCpuMsPerThumbnail: ((s1.cpuTicks - s0.cpuTicks) * 1000) / clockTicksPerSecond / serveSeconds,
    webapiCpuMsPerThumbnail: m0 && m1 ? ((m1.cpuTicks - m0.cpuTicks) * 1000) / clockTicksPerSecond / serveSeconds : NaN,
    studentRssMaxBytes: rssMax,
    webapiRssBytes: m1?.rssBytes ?? NaN,
    rfbBytesPerSecond: (rfbBytesSent() - rfb0) / serveSeconds,
  };

  // Lock latency: from the HTTP request to the screen's corners changing, and back.
  watch = await openWatch(display);
  const { width: w, height: h } = await watch.conn.rootSize();
  const points = [{ x: 10, y: 10 }, { x: w - 10, y: 10 }, { x: 10, y: h - 50 }, { x: w - 10, y: h - 10 }];
  const baseline = await watch.read(points);
  // Veyon's lock is a Qt window of its feature worker; note when one is mapped, visible or not.
  let lastMapAt = 0;
  watch.conn.on('event', (ev) => {
    if (ev.name === 'MapNotify' && ev.overrideRedirect) lastMapAt = performance.now();
  });
  await watch.conn.selectEvents(watch.conn.root, 0x80000 /* SubstructureNotify */);
  const lock = [];
  for (let r = 0; r < lockRounds; r++) {
    const t0 = performance.now();
    lastMapAt = 0;
    await call('PUT', `feature/${screenLockFeature}`, { headers, body: { active: true } });
    const ackMs = performance.now() - t0;
    const visibleMs = await timeUntil(watch, points, (px) => px.every((p, i) => differs(p, baseline[i])), t0, lockVisibleTimeoutMs);
    const mappedMs = lastMapAt ? lastMapAt - t0 : NaN;
    const t1 = performance.now();
    await call('PUT', `feature/${screenLockFeature}`, { headers, body: { active: false } });
    const goneMs = await timeUntil(watch, points, (px) => px.every((p, i) => !differs(p, baseline[i])), t1);
    lock.push({ ackMs, visibleMs, mappedMs, unlockMs: goneMs });
    if (Number.isNaN(visibleMs)) {
      failures.push(`lock round ${r}: the screen never changed within ${lockVisibleTimeoutMs / 1000} s${Number.isNaN(mappedMs) ? '' : ` (a lock window was mapped after ${Math.round(mappedMs)} ms, then unmapped again)`}`);
    }
    await sleep(500);
  }
  result.lock = lock;
} catch (e) {
  failures.push(String(e?.message ?? e));
} finally {
  watch?.close();
  result.failures = failures;
  process.stdout.write(JSON.stringify(result) + '\n');
  server.kill('SIGTERM');
  webapi.kill('SIGTERM');
  await sleep(300);
  // PID 1 of the namespace: leaving takes every remaining Veyon process (x11vnc, workers) with it.
  process.exit(0);
}
