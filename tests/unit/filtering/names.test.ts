// Domain-name normalisation: one normal form for every list, profile and lookup.
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNormalName, normaliseName, parentNames } from '../../../src/shared/filtering/names.js';
import { domainToUnicode as toUnicode } from '../../../src/shared/filtering/punycode.js';
import { domainName } from './generators.js';

describe('normaliseName', () => {
  it('lower-cases and drops one trailing dot', () => {
    expect(normaliseName('WWW.Example.COM.')).toEqual({ ok: true, name: 'www.example.com' });
    expect(normaliseName('example.com')).toEqual({ ok: true, name: 'example.com' });
  });

  it('turns Vietnamese names into xn-- labels', () => {
    expect(normaliseName('Bộgiáodục.VN')).toEqual({ ok: true, name: domainToASCII('bộgiáodục.vn') });
    expect(domainToASCII('bộgiáodục.vn')).toMatch(/^xn--[a-z0-9-]+\.vn$/);
  });

  it('keeps underscores, which DNS allows and real lists use', () => {
    expect(normaliseName('abbyfaer_rkoa.tripod.com')).toEqual({ ok: true, name: 'abbyfaer_rkoa.tripod.com' });
  });

  const refusals: Array<[string, string]> = [
    ['', 'empty'],
    ['.', 'empty'],
    ['a..b.com', 'label-empty'],
    ['.example.com', 'label-empty'],
    ['example.com..', 'label-empty'],
    [`${'a'.repeat(64)}.com`, 'label-too-long'],
    [`${'abcdefghi.'.repeat(26)}com`, 'name-too-long'],
    ['exa mple.com', 'bad-character'],
    ['example.com/path', 'bad-character'],
    ['exa$mple.com', 'bad-character'],
    ['1.0.0.1', 'ip-address'],
    ['10.0.0', 'ip-address'],
    ['2001:db8::1', 'ip-address'],
    ['*.example.com', 'wildcard'],
    ['ads.*.example.com', 'wildcard'],
    ['com', 'single-label'],
    ['localhost', 'single-label'],
    // What a Windows-1258 Vietnamese list read as UTF-8 turns into: replacement characters.
    ['b\ufffd gi\ufffdo d\ufffdc.vn'.replace(/ /g, ''), 'bad-idn'],
    ['\ufffd.com', 'bad-idn'],
    ['\ud800x.com', 'bad-idn'], // half of a character (a cut surrogate pair)
    ['\u0301abc.vn', 'bad-idn'], // starts with a combining accent
    ['ab\u202ec.com', 'bad-idn'], // right-to-left override, a spoofing trick
    ['a\u200db.com', 'bad-idn'], // zero-width joiner
    ['ab\u00a0c.vn', 'bad-idn'], // no-break space
    ['tr\u0080ng.vn', 'bad-idn'], // C1 control
    ['xn--zz.com', 'bad-idn'], // not punycode of anything
    ['xn--a.com', 'bad-idn'], // decodes to a control character
    ['xn--abc-.com', 'bad-idn'], // decodes to plain ASCII
    ['\u05e9a.vn', 'bad-idn'], // Hebrew then Latin in one label (IDNA bidi rule)
    ['a\u05e9.vn', 'bad-idn'], // the same the other way round (stricter than the WHATWG converter)
    ['XN--BCHER-KVA.DE.', 'ok'],
  ];
  for (const [input, problem] of refusals) {
    if (problem === 'ok') continue;
    it(`refuses ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)} as ${problem}`, () => {
      expect(normaliseName(input)).toEqual({ ok: false, problem });
    });
  }

  it('accepts real punycode and drops the invisible characters IDNA ignores', () => {
    expect(normaliseName('XN--BCHER-KVA.DE.')).toEqual({ ok: true, name: 'xn--bcher-kva.de' });
    expect(normaliseName('ab\u200bc.com')).toEqual({ ok: true, name: 'abc.com' });
    expect(normaliseName('b\u00fc\u00adcher.de')).toEqual({ ok: true, name: 'xn--bcher-kva.de' });
    expect(normaliseName('\u05e9\u05dc\u05d5\u05dd.vn')).toEqual({ ok: true, name: domainToASCII('\u05e9\u05dc\u05d5\u05dd.vn') });
  });

  it('agrees with the WHATWG URL converter on every name it accepts, and calls bad-idn only names it refuses', () => {
    const character = fc.constantFrom(
      ...'abcxyz0-'.split(''), 'ộ', 'ư', 'đ', 'Ạ', 'ế', 'ß', 'ﬁ', '😀', '\u3002',
      '\u0301', '\u0323', '\ufffd', '\u200d', '\u200b', '\u00a0', '\u202e', '\u00ad', '\ud800',
    );
    const unicodeLabel = fc.array(character, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(unicodeLabel, { minLength: 1, maxLength: 3 }), (labels) => {
        const raw = [...labels, 'vn'].join('.');
        const ours = normaliseName(raw);
        if (ours.ok) expect(domainToASCII(raw), JSON.stringify(raw)).toBe(ours.name);
        else if (ours.problem === 'bad-idn') expect(domainToASCII(raw), JSON.stringify(raw)).toBe('');
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts an xn-- label only when it is the one spelling of a valid international label', () => {
    const aceLabel = fc.array(fc.constantFrom(...'abcdkv0-'.split('')), { minLength: 1, maxLength: 10 }).map((chars) => `xn--${chars.join('')}`);
    fc.assert(
      fc.property(aceLabel, (label) => {
        const result = normaliseName(`${label}.vn`);
        if (!result.ok) {
          expect(result.problem).toBe('bad-idn');
          return;
        }
        // Decoding and encoding again gives the same name, and the Unicode form is itself acceptable.
        const unicode = toUnicode(result.name);
        expect(unicode).not.toBe(result.name);
        expect(normaliseName(unicode)).toEqual(result);
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent: a normal name normalises to itself', () => {
    fc.assert(
      fc.property(domainName, (name) => {
        const once = normaliseName(name);
        expect(once.ok).toBe(true);
        if (once.ok) {
          expect(normaliseName(once.name)).toEqual(once);
          expect(isNormalName(once.name)).toBe(true);
        }
      }),
    );
  });

  it('ignores the case of the input', () => {
    fc.assert(
      fc.property(domainName, (name) => {
        expect(normaliseName(name.toUpperCase())).toEqual(normaliseName(name));
      }),
    );
  });
});

describe('parentNames', () => {
  it('lists the parents nearest first', () => {
    expect(parentNames('a.b.example.com')).toEqual(['b.example.com', 'example.com', 'com']);
    expect(parentNames('com')).toEqual([]);
  });
});
