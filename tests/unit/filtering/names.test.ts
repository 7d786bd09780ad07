// Domain-name normalisation: one normal form for every list, profile and lookup.
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNormalName, normaliseName, parentNames } from '../../../src/shared/filtering/names.js';
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
  ];
  for (const [input, problem] of refusals) {
    it(`refuses ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)} as ${problem}`, () => {
      expect(normaliseName(input)).toEqual({ ok: false, problem });
    });
  }

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
