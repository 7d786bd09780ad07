// Small real filter lists for the DNS tests, compiled with the real compiler.
import { compileLists } from '../../../src/shared/filtering/compile.js';
import type { FilterProfile } from '../../../src/shared/filtering/profile.js';

/** A list a school could have: two block categories, a DoH list, and the lesson-platform allowlist. */
export function compileTestList(extraAdult: readonly string[] = []): Uint8Array {
  return compileLists(
    [
      { category: 'adult', names: ['porn.test', 'xn--bcher-kva.test', ...extraAdult] },
      { category: 'gambling', names: ['casino.test', 'bet.example.test'] },
      { category: 'doh-providers', names: ['dns.google', 'cloudflare-dns.com'] },
      { category: 'lesson-platforms', kind: 'allow', names: ['olm.vn', 'classroom.google.com'] },
    ],
    { builtAtSeconds: 1_790_000_000 },
  ).blob;
}

export function schoolProfile(overrides: Partial<FilterProfile> = {}): FilterProfile {
  return {
    id: 'thcs',
    name: 'THCS',
    ageBand: 'thcs',
    mode: 'filtered',
    blockedCategories: ['adult', 'gambling', 'doh-providers'],
    allowCategories: ['lesson-platforms'],
    extraBlock: ['games.test'],
    extraAllow: [],
    safeSearch: true,
    youtube: 'strict',
    blockResponse: 'null-ip',
    ...overrides,
  };
}

export function lessonProfile(): FilterProfile {
  return schoolProfile({ id: 'lesson-1', name: 'Tin học 7A', ageBand: 'custom', mode: 'allowlist-only', blockedCategories: [], extraBlock: [], extraAllow: ['lesson-site.test'] });
}
