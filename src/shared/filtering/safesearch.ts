// SafeSearch rewrites as code: which search and video hosts the DNS filter answers with a CNAME to
// the engine's enforced-safe host (for A, AAAA and HTTPS/type-65 queries alike).
//
// Sources (each engine's own instructions for networks):
// - Google: map www.google.<every country domain> to forcesafesearch.google.com
//   (support.google.com/websearch/answer/186669; country domains in google-domains.ts).
// - YouTube: www.youtube.com, m.youtube.com, youtubei.googleapis.com, youtube.googleapis.com,
//   www.youtube-nocookie.com to restrict.youtube.com (Strict) or restrictmoderate.youtube.com
//   (Moderate) (support.google.com/a/answer/6214622).
// - Bing: www.bing.com to strict.bing.com (Microsoft "Block adult content with SafeSearch").
// - DuckDuckGo: duckduckgo.com, www.duckduckgo.com, start.duckduckgo.com to safe.duckduckgo.com
//   (DuckDuckGo help: "Can I force SafeSearch on my network?").

import { googleSearchTlds } from './google-domains.js';
import type { YoutubeMode } from './profile.js';

export const googleSafeSearchHost = 'forcesafesearch.google.com';
export const youtubeStrictHost = 'restrict.youtube.com';
export const youtubeModerateHost = 'restrictmoderate.youtube.com';
export const bingStrictHost = 'strict.bing.com';
export const duckDuckGoSafeHost = 'safe.duckduckgo.com';

export const youtubeHosts: readonly string[] = [
  'www.youtube.com',
  'm.youtube.com',
  'youtubei.googleapis.com',
  'youtube.googleapis.com',
  'www.youtube-nocookie.com',
];

const searchEngineTargets: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const tld of googleSearchTlds) {
    // The bare domain only redirects to www, but answering it too costs nothing and closes the gap.
    map.set(`www.google.${tld}`, googleSafeSearchHost);
    map.set(`google.${tld}`, googleSafeSearchHost);
  }
  map.set('www.bing.com', bingStrictHost);
  map.set('bing.com', bingStrictHost);
  for (const host of ['duckduckgo.com', 'www.duckduckgo.com', 'start.duckduckgo.com']) map.set(host, duckDuckGoSafeHost);
  return map;
})();

const youtubeHostSet: ReadonlySet<string> = new Set(youtubeHosts);

/** Lower case without the trailing dot; allocation only when the name needs changing. */
function canonical(name: string): string {
  let needsLower = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      needsLower = true;
      break;
    }
  }
  const lower = needsLower ? name.toLowerCase() : name;
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The host to answer `name` with (as a CNAME), or null when it is not rewritten. Search engines are
 * rewritten when `searchEngines` is true (the profile's SafeSearch switch); YouTube per `youtube`.
 */
export function safeSearchTarget(name: string, youtube: YoutubeMode, searchEngines = true): string | null {
  const host = canonical(name);
  if (searchEngines) {
    const target = searchEngineTargets.get(host);
    if (target !== undefined) return target;
  }
  if (youtube !== 'off' && youtubeHostSet.has(host)) return youtube === 'strict' ? youtubeStrictHost : youtubeModerateHost;
  return null;
}

/** Every name a profile with SafeSearch and YouTube on may rewrite (for tests and the UI). */
export function safeSearchNames(): string[] {
  return [...searchEngineTargets.keys(), ...youtubeHosts];
}
