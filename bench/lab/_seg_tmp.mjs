import { readFileSync } from 'node:fs';
function segs() {
  const out = {}; let cur = null;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { cur = m[3] === '/usr/bin/node' ? `node ${m[2]}` : m[3] === '' ? 'anon' : m[3].startsWith('[') ? m[3] : 'other-file'; continue; }
    const r = /^Rss:\s+(\d+)/.exec(line); if (r && cur) out[cur] = (out[cur] ?? 0) + Number(r[1]) / 1024;
  }
  return Object.entries(out).filter(([, v]) => v > 0.3).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' | ');
}
console.log('bare      ', segs());
for (const step of process.argv.slice(2)) {
  await eval(`(async () => { ${step} })()`);
  console.log(step.slice(0, 60).padEnd(60), segs());
}
