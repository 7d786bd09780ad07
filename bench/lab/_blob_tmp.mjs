import { writeFileSync } from 'node:fs';
const { syntheticDomains } = await import('../filtering/synthetic.mjs');
const { compileLists } = await import('../../dist/shared/filtering/compile.js');
const r = compileLists([{ category: 'adult', names: syntheticDomains(1000000) }]);
writeFileSync('/tmp/rss/1m.blob', r.blob); console.log(r.blob.length);
