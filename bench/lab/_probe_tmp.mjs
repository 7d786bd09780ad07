import { readFileSync } from 'node:fs';
function status() {
  const s = readFileSync('/proc/self/status', 'utf8');
  const g = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) / 1024;
  return { rss: g('VmRSS'), anon: g('RssAnon'), file: g('RssFile'), shmem: g('RssShmem') };
}
const f = (x) => x.toFixed(1).padStart(6);
function report(label) {
  globalThis.gc?.(); 
  const s = status(); const m = process.memoryUsage();
  console.log(`${label.padEnd(34)} rss ${f(s.rss)} anon ${f(s.anon)} file ${f(s.file)} | heapUsed ${f(m.heapUsed/2**20)} heapTotal ${f(m.heapTotal/2**20)} ext ${f(m.external/2**20)} ab ${f(m.arrayBuffers/2**20)}`);
}
report('bare');
const spec = process.argv.slice(2);
for (const s of spec) {
  if (s.startsWith('!')) { await eval(s.slice(1)); report(s.slice(0,34)); continue; }
  await import(s.startsWith('.') || s.startsWith('/') ? new URL(s, `file://${process.cwd()}/`).href : s);
  report(s);
}
