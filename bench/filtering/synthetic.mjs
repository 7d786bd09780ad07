// Synthetic domain names with realistic shapes (label lengths, TLD mix, share of subdomains) for benchmarks.

const letters = 'abcdefghijklmnopqrstuvwxyz';
const labelChars = 'abcdefghijklmnopqrstuvwxyz0123456789';
// Roughly the mix of block lists: mostly .com, many ccTLDs, a long tail.
const tlds = [
  ['com', 45], ['net', 8], ['org', 5], ['info', 3], ['ru', 4], ['de', 3], ['fr', 3], ['vn', 3], ['com.vn', 2],
  ['xyz', 4], ['top', 4], ['io', 2], ['co.uk', 2], ['cn', 3], ['br', 2], ['pl', 2], ['online', 2], ['site', 2], ['club', 1],
];
const tldTable = tlds.flatMap(([tld, weight]) => Array(weight).fill(tld));
const subLabels = ['www', 'm', 'cdn', 'api', 'img', 'static', 'ads', 'track', 'mail', 'en', 'vn', 'app', 'login'];

/** A deterministic generator (LCG) so runs are comparable. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function word(rand, min, max) {
  const length = min + Math.floor(rand() * (max - min + 1));
  let text = letters[Math.floor(rand() * 26)];
  for (let i = 1; i < length; i++) text += labelChars[Math.floor(rand() * 36)];
  return text;
}

/** `count` distinct names: registrable label 4-16 chars (median ~9), 35% with 1-2 subdomain labels. */
export function syntheticDomains(count, seed = 42) {
  const rand = random(seed);
  const names = new Set();
  while (names.size < count) {
    let name = `${word(rand, 4, 16)}.${tldTable[Math.floor(rand() * tldTable.length)]}`;
    const r = rand();
    if (r < 0.2) name = `${subLabels[Math.floor(rand() * subLabels.length)]}.${name}`;
    else if (r < 0.35) name = `${word(rand, 2, 10)}.${word(rand, 3, 8)}.${name}`;
    names.add(name);
  }
  return [...names];
}
