// The lists the SafeLab team ships: they parse cleanly and hold what lessons and bypass defence need.
import { describe, expect, it } from 'vitest';
import { compileLists, sourcesOfList } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { loadOwnLists, parseOwnList, readListHeader } from '../../../src/main/filtering/own-lists.js';

describe('our own lists', async () => {
  const lists = await loadOwnLists();
  const byCategory = new Map(lists.map((list) => [list.category, list]));
  const matcher = DomainMatcher.load(compileLists(lists.flatMap((list) => sourcesOfList(list.category, list.kind, list.parsed))).blob);
  const listedIn = (category: string, name: string): boolean => {
    const view = matcher.match(name);
    const index = matcher.categoryIndex(category);
    return index >= 0 && (view.categories[index >>> 5]! & (1 << (index & 31))) !== 0;
  };

  it('have a header naming the category and kind, and not one bad or duplicate line', () => {
    expect([...byCategory.keys()].sort()).toEqual(['doh-providers', 'lesson-platforms']);
    expect(byCategory.get('doh-providers')!.kind).toBe('block');
    expect(byCategory.get('lesson-platforms')!.kind).toBe('allow');
    for (const list of lists) {
      expect(list.parsed.report.examples, list.file).toEqual([]);
      expect(list.parsed.report.duplicate, list.file).toBe(0);
      expect(list.parsed.report.accepted).toBeGreaterThan(20);
    }
  });

  it('block the encrypted-DNS endpoints browsers use', () => {
    for (const name of ['dns.google', 'cloudflare-dns.com', 'mozilla.cloudflare-dns.com', 'dns.quad9.net', 'doh.opendns.com', 'dns.adguard.com', 'doh.cleanbrowsing.org', 'dns.nextdns.io', 'abc123.dns.nextdns.io', 'doh.xfinity.com']) {
      expect(listedIn('doh-providers', name), name).toBe(true);
    }
    for (const name of ['google.com', 'cloudflare.com', 'www.google.com', 'opendns.com']) expect(listedIn('doh-providers', name), name).toBe(false);
  });

  it('allow the lesson platforms and the sign-in and CDN names they need', () => {
    const needed = [
      'k12online.vn', 'vnedu.vn', 'olm.vn', 'azota.vn', 'hoc10.vn', 'hanhtrangso.nxbgd.vn', 'sachmem.vn',
      'meet.google.com', 'classroom.google.com', 'accounts.google.com', 'ssl.gstatic.com', 'fonts.gstatic.com', 'www.gstatic.com',
      'lh3.googleusercontent.com', 'apis.google.com', 'hangouts.clients6.google.com',
      'zoom.us', 'us02web.zoom.us', 'zoom.com',
      'teams.microsoft.com', 'login.microsoftonline.com', 'statics.teams.cdn.office.net', 'aadcdn.msauth.net', 'teams.cloud.microsoft',
    ];
    for (const name of needed) expect(listedIn('lesson-platforms', name), name).toBe(true);
    for (const name of ['www.youtube.com', 'facebook.com', 'mail.google.com', 'news.google.com']) expect(listedIn('lesson-platforms', name), name).toBe(false);
  });

  it('refuse a list without its header', () => {
    expect(readListHeader('# category: x\n# kind: allow\nexample.com\n# late: ignored\n')).toEqual({ category: 'x', kind: 'allow' });
    expect(() => parseOwnList('example.com\n', 'bare.txt')).toThrow(/category/);
    expect(() => parseOwnList('# category: x\n# kind: maybe\n', 'bad.txt')).toThrow(/kind/);
  });
});
