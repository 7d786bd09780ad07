// The lists the SafeLab team ships: they parse cleanly, hold what lessons and bypass defence need, and open nothing more.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLists, sourcesOfList } from '../../../src/shared/filtering/compile.js';
import { DomainMatcher } from '../../../src/shared/filtering/matcher.js';
import { defaultOwnListsDir, loadOwnLists, parseOwnList, readListHeader } from '../../../src/main/filtering/own-lists.js';

/** One `# == Title ==` group of lesson-platforms.txt: its entries with roles and source, and the groups it uses. */
interface PlatformGroup {
  title: string;
  entries: Array<{ name: string; roles: string[]; source: string; line: number }>;
  uses: string[];
}

const entryRoles = new Set(['app', 'sign-in', 'cdn', 'api', 'media', 'system']);

/** Reads the group structure of lesson-platforms.txt; throws on an entry line that does not say what it is for. */
function readGroups(text: string): PlatformGroup[] {
  const groups: PlatformGroup[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    const header = /^# == (.+) ==$/.exec(line);
    if (header) {
      groups.push({ title: header[1]!, entries: [], uses: [] });
      return;
    }
    const uses = /^# uses: (.+)$/.exec(line);
    if (uses) {
      groups.at(-1)!.uses.push(uses[1]!);
      return;
    }
    if (line === '' || line.startsWith('#')) return;
    const entry = /^(\S+)\s+# ([a-z, -]+?) — (published: .+|unchecked: .+)$/.exec(line);
    if (!entry) throw new Error(`line ${index + 1} does not say its role and source: ${line}`);
    if (groups.length === 0) throw new Error(`line ${index + 1} is outside every group`);
    groups.at(-1)!.entries.push({ name: entry[1]!, roles: entry[2]!.split(',').map((role) => role.trim()), source: entry[3]!, line: index + 1 });
  });
  return groups;
}

/** Shared groups other groups use; the rest are platforms and must bring sign-in and CDN names. */
const sharedGroups = new Set(['Web fonts and libraries', 'Sign-in with Google', 'Microsoft sign-in (Entra ID and Microsoft account)', 'What every PC needs for HTTPS sign-in to work']);

/** Whole company domains: allowing one opens search, mail, chat and everything else the company runs. */
const wholeCompanyDomains = ['google.com', 'googleapis.com', 'gstatic.com', 'microsoft.com', 'live.com', 'office.com', 'office.net', 'skype.com', 'skypeassets.com', 'windows.net', 'onenote.com', 'youtube.com', 'facebook.com', 'cloudflare.com', 'azureedge.net', 'msecnd.net', 'google.com.vn'];

/** Hosts (and everything under them) that serve what users upload or publish. */
const userContentSuffixes = [
  'googleusercontent.com', 'storage.googleapis.com', 'sites.google.com', 'drive.usercontent.google.com', 'translate.goog', 'appspot.com', 'blogspot.com',
  'firebaseapp.com', 'web.app', 'sharepoint.com', 'blob.core.windows.net', 'web.core.windows.net', 'azurewebsites.net', 'vo.msecnd.net',
  'mediaservices.windows.net', 'cloudfront.net', 'amazonaws.com', 'github.io', 'githubusercontent.com', 'cdn.jsdelivr.net', 'unpkg.com',
  'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev', 'herokuapp.com', 'glitch.me', 'wixsite.com', 'weebly.com', 'wordpress.com',
  'encrypted-tbn0.gstatic.com', 'lh3.googleusercontent.com',
];

/** Suffixes under which anyone registers names (a public-suffix entry would open a whole country's sites). */
const publicSuffixes = ['vn', 'com.vn', 'edu.vn', 'gov.vn', 'net.vn', 'org.vn', 'ac.vn', 'com', 'net', 'org', 'goog', 'microsoft', 'ms', 'us', 'cloud.microsoft'];

const covers = (entry: string, name: string): boolean => name === entry || name.endsWith(`.${entry}`);

describe('our own lists', async () => {
  const lists = await loadOwnLists();
  const byCategory = new Map(lists.map((list) => [list.category, list]));
  const lessonPlatforms = byCategory.get('lesson-platforms')!;
  const dohProviders = byCategory.get('doh-providers')!;
  const groups = readGroups(await readFile(join(defaultOwnListsDir, lessonPlatforms.file), 'utf8'));
  const matcher = DomainMatcher.load(compileLists(lists.flatMap((list) => sourcesOfList(list.category, list.kind, list.parsed))).blob);
  const listedIn = (category: string, name: string): boolean => {
    const view = matcher.match(name);
    const index = matcher.categoryIndex(category);
    return index >= 0 && (view.categories[index >>> 5]! & (1 << (index & 31))) !== 0;
  };

  it('have a header naming the category and kind, and not one bad or duplicate line', () => {
    expect([...byCategory.keys()].sort()).toEqual(['doh-providers', 'lesson-platforms']);
    expect(dohProviders.kind).toBe('block');
    expect(lessonPlatforms.kind).toBe('allow');
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

  it('say for every lesson-platform name what it is for and whether the vendor published it', () => {
    const named = groups.flatMap((group) => group.entries.map((entry) => entry.name));
    expect(named.sort()).toEqual([...lessonPlatforms.parsed.block].sort());
    for (const group of groups) {
      for (const entry of group.entries) for (const role of entry.roles) expect(entryRoles.has(role), `${entry.name}: role ${role}`).toBe(true);
    }
    // Both kinds exist: the list is honest about what was not checked.
    const sources = groups.flatMap((group) => group.entries.map((entry) => entry.source.split(':')[0]));
    expect(new Set(sources)).toEqual(new Set(['published', 'unchecked']));
  });

  it('give every platform its sign-in and CDN names, its own or from a shared group it uses', () => {
    const byTitle = new Map(groups.map((group) => [group.title, group]));
    const platforms = groups.filter((group) => !sharedGroups.has(group.title));
    expect(platforms.map((group) => group.title)).toEqual(
      expect.arrayContaining(['Google Meet', 'Google Classroom', 'Microsoft Teams', 'Zoom', 'K12Online (Viettel)', 'VNEdu (VNPT)', 'OLM', 'Azota', 'Hoc10 (Cánh Diều textbooks)', 'NXB Giáo dục Việt Nam: Hành trang số and other e-textbooks']),
    );
    for (const title of sharedGroups) expect(byTitle.has(title), title).toBe(true);
    for (const platform of platforms) {
      const roles = new Set(platform.entries.flatMap((entry) => entry.roles));
      for (const used of platform.uses) {
        const shared = byTitle.get(used);
        expect(shared, `${platform.title} uses unknown group ${used}`).toBeDefined();
        for (const entry of shared!.entries) for (const role of entry.roles) roles.add(role);
      }
      expect(roles.has('app'), `${platform.title}: app`).toBe(true);
      expect(roles.has('sign-in'), `${platform.title}: sign-in`).toBe(true);
      expect(roles.has('cdn'), `${platform.title}: cdn`).toBe(true);
    }
  });

  it('allow the lesson platforms and the sign-in and CDN names they need', () => {
    const needed = [
      'k12online.vn', 'truong-abc.k12online.vn', 'static.k12online.vn', 'vnedu.vn', 'olm.vn', 'azota.vn', 'hoc10.vn', 'hanhtrangso.nxbgd.vn', 'sachmem.vn',
      'meet.google.com', 'classroom.google.com', 'accounts.google.com', 'accounts.google.com.vn', 'ssl.gstatic.com', 'fonts.gstatic.com', 'www.gstatic.com',
      'apis.google.com', 'meetings.clients6.google.com', 'docs.google.com', 'drive.google.com',
      'zoom.us', 'us02web.zoom.us', 'zoom.com',
      'teams.microsoft.com', 'login.microsoftonline.com', 'statics.teams.cdn.office.net', 'aadcdn.msauth.net', 'aadcdn.msftauth.net',
      'secure.aadcdn.microsoftonline-p.com', 'clientconfig.microsoftonline-p.net', 'teams.cloud.microsoft', 'login.live.com', 'account.live.com',
      'pub-ent-sg-01.trouter.skype.com', 'word-edit.officeapps.live.com',
    ];
    for (const name of needed) expect(listedIn('lesson-platforms', name), name).toBe(true);
  });

  it('open neither Google Search, mail, chat, video nor other people’s files during a lesson', () => {
    const closed = [
      'www.google.com', 'google.com', 'www.google.com.vn', 'mail.google.com', 'news.google.com', 'gemini.google.com', 'sites.google.com', 'translate.google.com',
      'www.youtube.com', 'facebook.com', 'lh3.googleusercontent.com', 'tfk7r22klf8vtd8g90jq8qno1tpqhmpe.apps.googleusercontent.com', 'doc-0s-8c-docs.googleusercontent.com',
      'storage.googleapis.com', 'steamcloud-eu.storage.googleapis.com', 'remotedesktop-pa.googleapis.com', 'encrypted-tbn0.gstatic.com',
      'othertenant.sharepoint.com', 'othertenant-my.sharepoint.com', 'web.skype.com', 'skype.com', 'outlook.office.com', 'outlook.live.com', 'onedrive.live.com',
      'teams.live.com', 'az416426.vo.msecnd.net', 'anyone.streaming.mediaservices.windows.net', 'cdn.jsdelivr.net',
    ];
    for (const name of closed) expect(listedIn('lesson-platforms', name), name).toBe(false);
  });

  it('allow no whole company domain, no public suffix and no host that serves what users upload', () => {
    for (const entry of lessonPlatforms.parsed.block) {
      expect(wholeCompanyDomains, entry).not.toContain(entry);
      expect(publicSuffixes, entry).not.toContain(entry);
      for (const userContent of userContentSuffixes) {
        expect(covers(entry, userContent) || covers(userContent, entry), `${entry} vs ${userContent}`).toBe(false);
      }
    }
  });

  it('never allow a name a shipped block list blocks, nor block one the lesson list allows', () => {
    for (const allowed of lessonPlatforms.parsed.block) {
      for (const blocked of dohProviders.parsed.block) {
        expect(covers(allowed, blocked) || covers(blocked, allowed), `${allowed} vs ${blocked}`).toBe(false);
      }
    }
  });

  it('refuse a list without its header', () => {
    expect(readListHeader('# category: x\n# kind: allow\nexample.com\n# late: ignored\n')).toEqual({ category: 'x', kind: 'allow' });
    expect(() => parseOwnList('example.com\n', 'bare.txt')).toThrow(/category/);
    expect(() => parseOwnList('# category: x\n# kind: maybe\n', 'bad.txt')).toThrow(/kind/);
  });

  it('read the role and source notes as comments, never as names', () => {
    expect(() => readGroups('# == G ==\nexample.com # app\n')).toThrow(/role and source/);
    expect(readGroups('# == G ==\nexample.com  # app, cdn — unchecked: why\n# uses: H\n')).toEqual([
      { title: 'G', entries: [{ name: 'example.com', roles: ['app', 'cdn'], source: 'unchecked: why', line: 2 }], uses: ['H'] },
    ]);
  });
});
