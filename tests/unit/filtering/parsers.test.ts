// List parsers on generated inputs: every good line loads, every bad line is reported with its number and reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxReportExamples, type LineProblem, type ParsedList } from '../../../src/shared/filtering/list-report.js';
import { parseAdblockList } from '../../../src/shared/filtering/parse-adblock.js';
import { parseDomainList } from '../../../src/shared/filtering/parse-domains.js';
import { parseHostsList } from '../../../src/shared/filtering/parse-hosts.js';
import { detectListFormat, parseList } from '../../../src/shared/filtering/parse-list.js';
import { parseUt1Category, wholeSiteHost } from '../../../src/shared/filtering/parse-ut1.js';
import { domainName } from './generators.js';

/** The (line, problem) pairs a report gives, for comparing with what a test planted. */
function problemsOf(parsed: ParsedList): Array<[number, LineProblem]> {
  return parsed.report.examples.map((example) => [example.line, example.problem]);
}

describe('plain domain lists', () => {
  it('loads names and skips comments, blank lines and inline comments', () => {
    const text = '\ufeff# SafeLab test list\r\n! another comment\r\n; and another\r\n\r\nExample.COM.\r\nads.example.net # trackers\r\n  spaced.example.org  \r\n.squid-style.example.vn\r\n';
    const parsed = parseDomainList(text, 'test');
    expect(parsed.block).toEqual(['example.com', 'ads.example.net', 'spaced.example.org', 'squid-style.example.vn']);
    expect(parsed.report).toMatchObject({ source: 'test', format: 'domains', lines: 8, accepted: 4, duplicate: 0, bad: 0, skipped: 0 });
  });

  it('reports every kind of bad line with its line number, and still loads the good ones', () => {
    const lines: Array<[string, LineProblem | null]> = [
      ['good.example.com', null],
      ['https://example.com/path', 'url'],
      ['exa mple.com', 'bad-character'],
      ['exa$mple.com', 'bad-character'],
      ['*.wild.example.com', 'wildcard'],
      ['1.0.0.1', 'ip-address'],
      [`${'a'.repeat(64)}.com`, 'label-too-long'],
      [`${'abcdefghi.'.repeat(26)}com`, 'name-too-long'],
      ['a..b.com', 'label-empty'],
      ['com', 'single-label'],
      ['x'.repeat(5000), 'line-too-long'],
      ['second.example.vn', null],
    ];
    const parsed = parseDomainList(lines.map(([text]) => text).join('\n'), 'test');
    expect(parsed.block).toEqual(['good.example.com', 'second.example.vn']);
    expect(problemsOf(parsed)).toEqual(
      lines.flatMap(([, problem], index) => (problem === null ? [] : [[index + 1, problem] as [number, LineProblem]])),
    );
    expect(parsed.report.bad).toBe(10);
    expect(parsed.report.problems['bad-character']).toBe(2);
    expect(parsed.addresses).toEqual(['1.0.0.1']);
  });

  it('counts duplicates once and keeps the first', () => {
    const parsed = parseDomainList('a.example.com\nA.EXAMPLE.COM.\nb.example.com\na.example.com\n', 'test');
    expect(parsed.block).toEqual(['a.example.com', 'b.example.com']);
    expect(parsed.report).toMatchObject({ accepted: 2, duplicate: 2 });
  });

  it('refuses an HTML page served instead of a list', () => {
    const parsed = parseDomainList('<!DOCTYPE html>\n<html><body>Captive portal</body></html>\n', 'test');
    expect(parsed.block).toEqual([]);
    expect(parsed.report.problems['not-a-list']).toBe(1);
  });

  it('keeps only the first examples but counts everything', () => {
    const text = Array.from({ length: 50 }, (_, i) => `bad name ${i}.com`).join('\n');
    const parsed = parseDomainList(text, 'test');
    expect(parsed.report.bad).toBe(50);
    expect(parsed.report.examples).toHaveLength(maxReportExamples);
  });

  it('loads any generated list, reporting each planted bad line at its own line', () => {
    const badLines = fc.constantFrom<[string, LineProblem]>(
      ['*.x.com', 'wildcard'],
      ['10.1.2.3', 'ip-address'],
      ['bad name.com', 'bad-character'],
      ['http://x.com/a', 'url'],
      ['vn', 'single-label'],
    );
    const line = fc.oneof(
      { weight: 6, arbitrary: domainName.map((name) => ({ text: name, problem: null as LineProblem | null, name })) },
      { weight: 1, arbitrary: badLines.map(([text, problem]) => ({ text, problem, name: null as string | null })) },
      { weight: 1, arbitrary: fc.constant({ text: '# comment', problem: null as LineProblem | null, name: null as string | null }) },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.boolean(), (entries, crlf) => {
        const badCount = entries.filter((entry) => entry.problem !== null).length;
        fc.pre(badCount <= maxReportExamples);
        const parsed = parseDomainList(entries.map((entry) => entry.text).join(crlf ? '\r\n' : '\n'), 'generated');
        expect(parsed.block).toEqual([...new Set(entries.flatMap((entry) => (entry.name === null ? [] : [entry.name])))]);
        expect(problemsOf(parsed)).toEqual(
          entries.flatMap((entry, index) => (entry.problem === null ? [] : [[index + 1, entry.problem] as [number, LineProblem]])),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('hosts files', () => {
  it('reads sink addresses with several names a line, IPv6 sinks and inline comments', () => {
    const text = [
      '# hosts block list',
      '127.0.0.1 localhost',
      '::1 localhost ip6-localhost ip6-loopback',
      '255.255.255.255 broadcasthost',
      '0.0.0.0 a.example.com b.example.com\tc.example.com',
      '127.0.0.1 tracker.example.net # inline comment',
      ':: six.example.org',
      '0:0:0:0:0:0:0:0 zeros.example.org',
    ].join('\n');
    const parsed = parseHostsList(text, 'hosts');
    expect(parsed.block).toEqual(['a.example.com', 'b.example.com', 'c.example.com', 'tracker.example.net', 'six.example.org', 'zeros.example.org']);
    expect(parsed.report.problems).toEqual({ 'hosts-boilerplate': 5 });
    expect(parsed.report.bad).toBe(0);
  });

  it('reads every spelling of the IPv6 sinks, and takes the machine’s own IPv6 lines as boilerplate', () => {
    const text = [
      '::0 a.example.com',
      '0::0 b.example.com',
      '0:0::1 c.example.com',
      '::ffff:0.0.0.0 d.example.com',
      '::ffff:127.0.0.1 e.example.com',
      '0000:0000:0000:0000:0000:0000:0000:0001 f.example.com',
      'fe80::1%lo0 localhost',
      'ff02::1 ip6-allnodes',
      'ff02::2 ip6-allrouters',
      '2001:db8::1 mirror.example.com',
      '::ffff:10.0.0.1 lan.example.com',
      '1::2::3 broken.example.com',
      ':: ',
    ].join('\n');
    const parsed = parseHostsList(text, 'hosts');
    expect(parsed.block).toEqual(['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'e.example.com', 'f.example.com']);
    expect(problemsOf(parsed)).toEqual([
      [7, 'hosts-boilerplate'],
      [8, 'hosts-boilerplate'],
      [9, 'hosts-boilerplate'],
      [10, 'hosts-redirect'],
      [11, 'hosts-redirect'],
      [12, 'missing-address'],
      [13, 'missing-name'],
    ]);
  });

  it('reads tabs, CRLF, a BOM, a lone CR and comments after the names', () => {
    const text = '\ufeff# hosts\r\n0.0.0.0\ttab.example.com\t# tracker\r\n127.0.0.1 cr.example.com\r0.0.0.0 after-cr.example.com #x\r\n\ufeff0.0.0.0 bom-inside.example.com\n';
    const parsed = parseHostsList(text, 'hosts');
    expect(parsed.block).toEqual(['tab.example.com', 'cr.example.com', 'after-cr.example.com', 'bom-inside.example.com']);
    expect(parsed.report).toMatchObject({ lines: 5, bad: 0, skipped: 0 });
  });

  it('reports redirects, missing addresses, missing names and bad names with line numbers', () => {
    const text = ['0.0.0.0 ok.example.com', '192.168.1.10 router.example.com', 'noaddress.example.com', '0.0.0.0', '0.0.0.0 *.wild.example.com good.example.com'].join('\n');
    const parsed = parseHostsList(text, 'hosts');
    expect(parsed.block).toEqual(['ok.example.com', 'good.example.com']);
    expect(problemsOf(parsed)).toEqual([
      [2, 'hosts-redirect'],
      [3, 'missing-address'],
      [4, 'missing-name'],
      [5, 'wildcard'],
    ]);
    expect(parsed.report).toMatchObject({ bad: 3, skipped: 1 });
  });
});

describe('lines in every format', () => {
  it('count lines the same way for LF, CRLF and lone CR files, with or without a final break', () => {
    for (const ending of ['\n', '\r\n', '\r']) {
      for (const last of ['', ending]) {
        const parsed = parseDomainList(['a.example.com', '', 'b..example.com', 'c.example.com'].join(ending) + last, 'x');
        expect(parsed.block, JSON.stringify(ending + last)).toEqual(['a.example.com', 'c.example.com']);
        expect(parsed.report.lines).toBe(4);
        expect(problemsOf(parsed)).toEqual([[3, 'label-empty']]);
      }
    }
  });

  it('reports names in a broken text encoding or with invisible tricks as bad-idn, with their line', () => {
    const lines = [
      'b\ufffdgi\ufffdod\ufffdc.vn', // a Windows-1258 list read as UTF-8
      'bộgiáodục.vn',
      'xn--zz.example.com',
      'pay\u202epal.com',
      'ok.example.com',
    ];
    for (const parse of [parseDomainList, parseHostsList, parseAdblockList]) {
      const text = lines.map((name) => (parse === parseHostsList ? `0.0.0.0 ${name}` : parse === parseAdblockList ? `||${name}^` : name)).join('\n');
      const parsed = parse(text, 'x');
      expect(parsed.block, parse.name).toEqual([new URL('http://bộgiáodục.vn').hostname, 'ok.example.com']);
      expect(problemsOf(parsed), parse.name).toEqual([
        [1, 'bad-idn'],
        [3, 'bad-idn'],
        [4, 'bad-idn'],
      ]);
    }
    const ut1 = parseUt1Category({ domains: 'b\ufffdt.vn\ncasino.example.com\n' }, 'ut1/gambling');
    expect(ut1.report.examples).toEqual([{ file: 'domains', line: 1, problem: 'bad-idn', text: 'b\ufffdt.vn' }]);
  });
});

describe('adblock-style lists', () => {
  it('reads notes after a rule and keeps third-party-only rules out (a DNS filter cannot tell first from third party)', () => {
    const text = ['||ads.example.com^  # tracker network', '@@||ok.example.com^\t# false positive', '||facebook.com^$third-party', '||pixel.example.net^$third-party,important', '||doc.example.org^$document  # whole site'].join('\r\n');
    const parsed = parseAdblockList(text, 'adblock');
    expect(parsed.block).toEqual(['ads.example.com', 'doc.example.org']);
    expect(parsed.allow).toEqual(['ok.example.com']);
    expect(problemsOf(parsed)).toEqual([
      [3, 'unsupported-modifier'],
      [4, 'unsupported-modifier'],
    ]);
  });

  it('turns ||domain^ into blocks and @@||domain^ into allows', () => {
    const text = ['[Adblock Plus 2.0]', '! Title: test', '||ads.example.com^', '@@||good.example.com^', '||tracker.example.net^$important', '||Exact.Example.org^|', 'plain.example.vn'].join('\n');
    const parsed = parseAdblockList(text, 'adblock');
    expect(parsed.block).toEqual(['ads.example.com', 'tracker.example.net', 'exact.example.org', 'plain.example.vn']);
    expect(parsed.allow).toEqual(['good.example.com']);
    expect(parsed.report).toMatchObject({ accepted: 5, bad: 0, skipped: 0 });
  });

  it('skips what only a browser can enforce, with a count and the line number', () => {
    const lines: Array<[string, LineProblem | null]> = [
      ['||ok.example.com^', null],
      ['##.ad-banner', 'cosmetic-rule'],
      ['example.com##.sidebar-ad', 'cosmetic-rule'],
      ['example.com#@#.keep', 'cosmetic-rule'],
      ['||example.com/ads/*', 'url-path'],
      ['||example.com^/banner', 'url-path'],
      ['/banner[0-9]+/', 'regular-expression'],
      ['||example.com^$third-party', 'unsupported-modifier'],
      ['||example.com^$script,domain=x.com', 'unsupported-modifier'],
      ['|https://example.com^', 'unsupported-rule'],
      ['-ad-banner.', 'unsupported-rule'],
      ['||*.wild.example.com^', 'wildcard'],
      ['||1.2.3.4^', 'ip-address'],
      ['0.0.0.0 hosts-style.example.com', null],
    ];
    const parsed = parseAdblockList(lines.map(([text]) => text).join('\n'), 'adblock');
    expect(parsed.block).toEqual(['ok.example.com', 'hosts-style.example.com']);
    expect(problemsOf(parsed)).toEqual(
      lines.flatMap(([, problem], index) => (problem === null ? [] : [[index + 1, problem] as [number, LineProblem]])),
    );
    expect(parsed.report.skipped).toBe(10);
    expect(parsed.report.bad).toBe(2);
  });
});

describe('UT1 categories', () => {
  it('reads domains, takes whole-site urls without www., and counts expressions as skipped', () => {
    const parsed = parseUt1Category(
      {
        domains: 'casino.example.com\n1.0.0.1\nbet.example.vn\n',
        urls: 'www.poker.example.com\nwww2.slots.example.com/\nftp.files.example.net\nexample.org/path/page.html\nhttp://www.http.example.com/\nwww.com\nhost.example.com:8080/\n',
        expressions: '(casino|poker)\n^bet[0-9]\n',
      },
      'ut1/gambling',
    );
    expect(parsed.block).toEqual(['casino.example.com', 'bet.example.vn', 'poker.example.com', 'slots.example.com', 'files.example.net', 'http.example.com', 'www.com', 'host.example.com']);
    expect(parsed.report.examples).toEqual([
      { file: 'domains', line: 2, problem: 'ip-address', text: '1.0.0.1' },
      { file: 'urls', line: 4, problem: 'url-path', text: 'example.org/path/page.html' },
      { file: 'expressions', line: 1, problem: 'regular-expression', text: '(casino|poker)' },
      { file: 'expressions', line: 2, problem: 'regular-expression', text: '^bet[0-9]' },
    ]);
    expect(parsed.report).toMatchObject({ format: 'ut1', lines: 12, accepted: 8, bad: 1, skipped: 3 });
    expect(parsed.addresses).toEqual(['1.0.0.1']);
  });

  it('treats a urls entry with a path as one page, never the whole host', () => {
    expect(wholeSiteHost('www.youtube.com/watch?v=abc')).toBeNull();
    expect(wholeSiteHost('www.youtube.com/')).toBe('youtube.com');
    expect(wholeSiteHost('web3.example.com')).toBe('example.com');
  });
});

describe('format detection', () => {
  it('recognises each format from its first lines', () => {
    expect(detectListFormat('[Adblock Plus 2.0]\n||a.com^\n')).toBe('adblock');
    expect(detectListFormat('! comment\n@@||a.com^\n')).toBe('adblock');
    expect(detectListFormat('# hosts\n127.0.0.1 localhost\n0.0.0.0 a.com\n0.0.0.0 b.com\n')).toBe('hosts');
    expect(detectListFormat('# plain\na.com\nb.com\n')).toBe('domains');
    expect(detectListFormat('')).toBe('domains');
  });

  it('parses with the detected format', () => {
    expect(parseList('0.0.0.0 a.example.com\n', 'auto', 'x').block).toEqual(['a.example.com']);
    expect(parseList('||a.example.com^\n', 'auto', 'x').block).toEqual(['a.example.com']);
  });
});
