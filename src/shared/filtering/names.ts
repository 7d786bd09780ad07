// Domain-name normalisation and validation shared by every list parser, the profile schema and the compiler.
//
// One normal form everywhere: lower-case ASCII, IDN labels as xn--, no trailing dot. The matcher
// hashes exactly this form, so a name that passes here is a name the agent can match.

import { acePrefix, domainToAscii, foldDomain, punycodeDecode, punycodeEncode, removeIgnored } from './punycode.js';

/** Longest name in presentation form without the trailing dot (RFC 1035: 255 octets on the wire). */
export const maxNameLength = 253;
/** Longest label (RFC 1035). */
export const maxLabelLength = 63;

/** Why a name was refused; each has a bilingual message `filtering.problem.<code>`. */
export type NameProblem =
  | 'empty'
  | 'label-empty'
  | 'label-too-long'
  | 'name-too-long'
  | 'bad-character'
  | 'ip-address'
  | 'wildcard'
  | 'single-label'
  | 'bad-idn';

export type NormalisedName = { ok: true; name: string } | { ok: false; problem: NameProblem };

const dot = 0x2e;

// Characters of the normal form: a-z 0-9 '-' '_' '.'. Underscore is legal in DNS and real lists
// use it (tripod.com member sites, _dmarc-style service names), so it is kept.
function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === dot;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Checks an already-ASCII, lower-case name without its trailing dot. Returns the problem or null.
 * A name whose last label is all digits is an IP address (or part of one), never a host name.
 */
function problemOf(name: string): NameProblem | null {
  const length = name.length;
  if (length === 0) return 'empty';
  if (length > maxNameLength) return 'name-too-long';
  let labelStart = 0;
  let labels = 1;
  let lastLabelAllDigits = true;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c === dot) {
      if (i === labelStart) return 'label-empty';
      if (i - labelStart > maxLabelLength) return 'label-too-long';
      labelStart = i + 1;
      labels++;
      lastLabelAllDigits = true;
      continue;
    }
    if (c === 0x2a) return 'wildcard';
    if (c === 0x3a) return 'ip-address'; // IPv6 literal
    if (!isNameChar(c)) return 'bad-character';
    if (!isDigit(c)) lastLabelAllDigits = false;
  }
  if (labelStart === length) return 'label-empty';
  if (length - labelStart > maxLabelLength) return 'label-too-long';
  if (lastLabelAllDigits) return 'ip-address';
  if (labels < 2) return 'single-label';
  if (name.indexOf(acePrefix) >= 0 && !aceLabelsValid(name)) return 'bad-idn';
  return null;
}

// What no label of an international name may hold: controls, format characters (bidi overrides,
// zero-width joiners), surrogates (text cut in the middle of a character), private-use and
// unassigned code points, spaces, and U+FFFD (what a list in the wrong text encoding decodes to,
// e.g. a Windows-1258 Vietnamese list read as UTF-8). Nor may a label start with a combining mark.
const forbiddenInLabel = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\ufffd]/u;
const startsWithMark = /^\p{M}/u;
// Right-to-left scripts; a label mixing them with left-to-right letters breaks the IDNA bidi rule
// (RFC 5893) and is a known way to make one name look like another.
const rightToLeftLetter = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;
const otherLetter = /(?![\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}])\p{L}/u;

/** True when a (folded) Unicode label may be part of an international name. */
function unicodeLabelValid(label: string): boolean {
  if (label.length === 0 || forbiddenInLabel.test(label) || startsWithMark.test(label)) return false;
  return !(rightToLeftLetter.test(label) && otherLetter.test(label));
}

/**
 * True when every xn-- label of an ASCII name is real punycode: it decodes, to something that is
 * not plain ASCII and is a valid label, and encodes back to itself (one spelling per name).
 */
function aceLabelsValid(name: string): boolean {
  for (const label of name.split('.')) {
    if (!label.startsWith(acePrefix)) continue;
    let decoded: string;
    try {
      decoded = punycodeDecode(label.slice(acePrefix.length));
    } catch {
      return false;
    }
    let ascii = true;
    for (let i = 0; i < decoded.length; i++) if (decoded.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii || !unicodeLabelValid(decoded) || foldDomain(decoded) !== decoded) return false;
    if (acePrefix + punycodeEncode(decoded) !== label) return false;
  }
  return true;
}

/** True when `name` is already in normal form and acceptable (cheap; used by the compiler as a guard). */
export function isNormalName(name: string): boolean {
  return problemOf(name) === null;
}

/**
 * Brings a name from a list, a profile or a teacher to the normal form, or says why it cannot be
 * blocked/allowed by name: lower case, one trailing dot removed, Unicode labels to xn--; refuses
 * wildcards, IP addresses, single labels (a bare TLD would block a whole country), bad characters
 * and over-long labels/names.
 */
export function normaliseName(raw: string): NormalisedName {
  let name = raw;
  if (name.length > 0 && name.charCodeAt(name.length - 1) === dot) name = name.slice(0, -1);
  if (name.length === 0) return { ok: false, problem: 'empty' };

  // Fast path: plain ASCII, maybe with upper case.
  let ascii = true;
  let upper = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  if (!ascii) {
    if (name.includes('*')) return { ok: false, problem: 'wildcard' };
    // Checked before folding too: NFKC would turn a no-break space into a plain one.
    if (forbiddenInLabel.test(removeIgnored(name))) return { ok: false, problem: 'bad-idn' };
    const folded = foldDomain(name);
    for (const label of folded.split('.')) {
      let plain = true;
      for (let i = 0; i < label.length; i++) if (label.charCodeAt(i) >= 0x80) plain = false;
      if (!plain && !unicodeLabelValid(label)) return { ok: false, problem: 'bad-idn' };
    }
    try {
      name = domainToAscii(folded);
    } catch {
      return { ok: false, problem: 'bad-idn' };
    }
    if (name.length > 0 && name.charCodeAt(name.length - 1) === dot) name = name.slice(0, -1);
  } else if (upper) {
    name = name.toLowerCase();
  }
  const problem = problemOf(name);
  return problem === null ? { ok: true, name } : { ok: false, problem };
}

/** The parent names of `name`, nearest first (a.b.example.com -> b.example.com, example.com, com). */
export function parentNames(name: string): string[] {
  const parents: string[] = [];
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) parents.push(name.slice(i + 1));
  return parents;
}
