import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const st = () => { const s = readFileSync('/proc/self/status','utf8'); const g=k=>(Number(new RegExp(`^${k}:\\s+(\\d+)`,'m').exec(s)[1])/1024).toFixed(1); return `rss ${g('VmRSS')} anon ${g('RssAnon')} file ${g('RssFile')} heapUsed ${(process.memoryUsage().heapUsed/2**20).toFixed(1)} threads ${g('Threads')*1024}`; };
console.log('start', st());
const mode = process.argv[2];
const t0 = performance.now(); const c0 = process.cpuUsage();
if (mode === 'inline') {
  const { gatherInventory } = await import('../../dist/agent/inventory.js');
  await gatherInventory();
} else {
  await new Promise((res, rej) => {
    const w = new Worker(`import('${new URL('../../dist/agent/inventory.js', import.meta.url).href}').then(m=>m.gatherInventory()).then(r=>require('node:worker_threads').parentPort.postMessage(r))`, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } });
    w.once('message', (m) => { console.log('got', Object.keys(m).length); w.terminate().then(res); });
    w.once('error', rej);
  });
}
console.log('after', st(), 'ms', (performance.now()-t0).toFixed(0), 'cpu ms', ((process.cpuUsage(c0).user+process.cpuUsage(c0).system)/1000).toFixed(0));
globalThis.gc?.();
await new Promise(r => setTimeout(r, 3000));
globalThis.gc?.();
console.log('later', st());
