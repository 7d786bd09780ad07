// Punycode and IDN conversion: RFC 3492's own samples, and Node's WHATWG converter as the referee.
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainToAscii, domainToUnicode, punycodeDecode, punycodeEncode } from '../../../src/shared/filtering/punycode.js';

const cp = (...points: number[]): string => String.fromCodePoint(...points);

// RFC 3492 section 7.1 sample strings (code points as given there, mixed case kept).
const rfcSamples: Array<[string, string, string]> = [
  ['(A) Arabic (Egyptian)', cp(0x644, 0x64a, 0x647, 0x645, 0x627, 0x628, 0x62a, 0x643, 0x644, 0x645, 0x648, 0x634, 0x639, 0x631, 0x628, 0x64a, 0x61f), 'egbpdaj6bu4bxfgehfvwxn'],
  ['(B) Chinese (simplified)', cp(0x4ed6, 0x4eec, 0x4e3a, 0x4ec0, 0x4e48, 0x4e0d, 0x8bf4, 0x4e2d, 0x6587), 'ihqwcrb4cv8a8dqg056pqjye'],
  ['(C) Chinese (traditional)', cp(0x4ed6, 0x5011, 0x7232, 0x4ec0, 0x9ebd, 0x4e0d, 0x8aaa, 0x4e2d, 0x6587), 'ihqwctvzc91f659drss3x8bo0yb'],
  ['(D) Czech', 'Pro' + cp(0x10d) + 'prost' + cp(0x11b) + 'nemluv' + cp(0xed, 0x10d) + 'esky', 'Proprostnemluvesky-uyb24dma41a'],
  [
    '(K) Vietnamese',
    'T' + cp(0x1ea1) + 'isaoh' + cp(0x1ecd) + 'kh' + cp(0xf4) + 'ngth' + cp(0x1ec3) + 'ch' + cp(0x1ec9) + 'n' + cp(0xf3) + 'iti' + cp(0x1ebf) + 'ngVi' + cp(0x1ec7) + 't',
    'TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g',
  ],
  ['(L) 3年B組金八先生', '3' + cp(0x5e74) + 'B' + cp(0x7d44, 0x91d1, 0x516b, 0x5148, 0x751f), '3B-ww4c5e180e575a65lsy2b'],
  ['(M) 安室奈美恵-with-SUPER-MONKEYS', cp(0x5b89, 0x5ba4, 0x5948, 0x7f8e, 0x6075) + '-with-SUPER-MONKEYS', '-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n'],
  ['(N) Hello-Another-Way-それぞれの場所', 'Hello-Another-Way-' + cp(0x305d, 0x308c, 0x305e, 0x308c, 0x306e, 0x5834, 0x6240), 'Hello-Another-Way--fc4qua05auwb3674vfr0b'],
  ['(O) ひとつ屋根の下2', cp(0x3072, 0x3068, 0x3064, 0x5c4b, 0x6839, 0x306e, 0x4e0b) + '2', '2-u9tlzr9756bt3uc0v'],
  ['(P) MajiでKoiする5秒前', 'Maji' + cp(0x3067) + 'Koi' + cp(0x3059, 0x308b) + '5' + cp(0x79d2, 0x524d), 'MajiKoi5-783gue6qz075azm5e'],
  ['(Q) パフィーdeルンバ', cp(0x30d1, 0x30d5, 0x30a3, 0x30fc) + 'de' + cp(0x30eb, 0x30f3, 0x30d0), 'de-jg4avhby1noc0d'],
  ['(R) そのスピードで', cp(0x305d, 0x306e, 0x30b9, 0x30d4, 0x30fc, 0x30c9, 0x3067), 'd9juau41awczczp'],
  ['(S) -> $1.00 <-', '-> $1.00 <-', '-> $1.00 <--'],
];

describe('punycode (RFC 3492)', () => {
  for (const [label, unicode, encoded] of rfcSamples) {
    it(`encodes and decodes sample ${label}`, () => {
      expect(punycodeEncode(unicode)).toBe(encoded);
      expect(punycodeDecode(encoded)).toBe(unicode);
    });
  }

  it('decodes whatever it encodes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (text) => {
        expect(punycodeDecode(punycodeEncode(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses malformed input instead of inventing a name', () => {
    expect(() => punycodeDecode('abc-ü')).toThrow(RangeError);
    expect(() => punycodeDecode('99999999999999')).toThrow(RangeError);
  });
});

describe('IDN names to xn-- form', () => {
  const vietnameseNames = [
    'bộgiáodục.vn',
    'BỘGIÁODỤC.VN',
    'trườnghọc.edu.vn',
    'tiếngviệt.vn',
    'www.hànộiỏi.com.vn',
    'đạihọc.vn',
    'thư-viện.trường.vn',
    'học.sinh.giỏi.việt.nam',
  ];
  for (const name of vietnameseNames) {
    it(`converts ${name} exactly as the WHATWG URL parser does`, () => {
      expect(domainToAscii(name)).toBe(domainToASCII(name));
    });
  }

  it('agrees with the WHATWG converter on decomposed (NFD) Vietnamese input', () => {
    const nfd = 'bộgiáodục.vn'.normalize('NFD');
    expect(domainToAscii(nfd)).toBe(domainToASCII(nfd));
  });

  it('treats ideographic full stops as dots', () => {
    expect(domainToAscii('例え。テスト')).toBe(domainToASCII('例え.テスト'));
  });

  it('shows xn-- names in Unicode for people', () => {
    expect(domainToUnicode(domainToAscii('bộgiáodục.vn'))).toBe('bộgiáodục.vn');
    expect(domainToUnicode('xn--zz-bad-ü.vn')).toBe('xn--zz-bad-ü.vn');
    expect(domainToUnicode('plain.example.com')).toBe('plain.example.com');
  });
});
