import { readFileSync } from 'node:fs';
const st = (l) => { const s = readFileSync('/proc/self/status','utf8'); const g=k=>(Number(new RegExp(`^${k}:\\s+(\\d+)`,'m').exec(s)[1])/1024).toFixed(1); console.log(l.padEnd(28), `rss ${g('VmRSS')} anon ${g('RssAnon')} file ${g('RssFile')} threads ${/Threads:\s+(\d+)/.exec(s)[1]}`); };
st('start');
const { loadSharp } = await import('../../dist/agent/platform/sharp.js');
const sharp = process.argv[3] === 'default' ? (await import('sharp')).default : await loadSharp();
st('sharp loaded');
if (process.argv[2] === 'raw') {
  const raw = Buffer.alloc(1366 * 768 * 4, 200);
  for (let i = 0; i < 20; i++) { raw[i] = i; await sharp(raw, { raw: { width: 1366, height: 768, channels: 4 } }).resize(320).jpeg({ quality: 60 }).toBuffer(); }
  st('20 raw->resize->jpeg');
} else {
  const { SimulatedDesktop } = await import('../../dist/agent/platform/simulated/desktop.js');
  let now = Date.now();
  const d = new SimulatedDesktop({ hostname: 'pc-01', now: () => now });
  const t0 = performance.now();
  await d.capture({ width: 320, quality: 60, screen: 0 });
  st(`first svg (${(performance.now()-t0).toFixed(0)} ms)`);
  for (let i = 0; i < 20; i++) { now += 1000; await d.capture({ width: 320, quality: 60, screen: 0 }); }
  st('20 svg renders');
}
