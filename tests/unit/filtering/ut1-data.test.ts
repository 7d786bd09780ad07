// The real UT1 lists, when the reference data is on this machine (CI has it; the suite passes without it).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readUt1Folder } from '../../../src/main/filtering/ut1.js';
import { ut1CategoryKind } from '../../../src/shared/filtering/categories.js';
import { compileLists, sourcesOfList } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher, hasCategory } from '../../../src/shared/filtering/matcher.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ut1Dir = process.env['SAFELAB_UT1_DIR'] ?? resolve(projectRoot, '../shared/data/ut1');
const present = existsSync(ut1Dir);

describe.skipIf(!present)(`UT1 reference data in ${ut1Dir}${present ? '' : ' (absent: skipped)'}`, () => {
  it('loads every category, compiles it and matches each listed name in its category', async () => {
    const categories = await readUt1Folder(ut1Dir);
    expect(categories.length).toBeGreaterThan(20);
    const compiled = compileLists(categories.flatMap(({ category, parsed }) => sourcesOfList(category, ut1CategoryKind(category), parsed)));
    expect(compiled.stats.collisions).toBe(0);
    const matcher = DomainMatcher.load(compiled.blob);
    let checked = 0;
    for (const { category, parsed } of categories) {
      // Bad lines are rare and each has a reason; UT1 lists many IP addresses (redirector: ~22 k),
      // which a DNS filter cannot use and which the parser hands back separately.
      const ipLines = parsed.report.problems['ip-address'] ?? 0;
      expect(parsed.addresses.length, category).toBeLessThanOrEqual(ipLines);
      expect(parsed.report.bad - ipLines, category).toBeLessThan(parsed.report.accepted * 0.01 + 20);
      for (const example of parsed.report.examples) expect(example.line).toBeGreaterThan(0);
      const index = matcher.categoryIndex(category);
      for (let i = 0; i < parsed.block.length; i += 97) {
        expect(hasCategory(matcher.match(`www.${parsed.block[i]!}`).categories, index), `${category}: ${parsed.block[i]}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(matcher.categoryKinds[matcher.categoryIndex('child')]).toBe('allow');
  });
});
