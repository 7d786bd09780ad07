// SafeSearch rewrites and bypass-defence names the DNS filter answers itself.
import { describe, expect, it } from 'vitest';
import { bypassAnswer } from '../../../src/shared/filtering/bypass.js';
import { googleSearchTlds } from '../../../src/shared/filtering/google-domains.js';
import { normaliseName } from '../../../src/shared/filtering/names.js';
import { safeSearchNames, safeSearchTarget } from '../../../src/shared/filtering/safesearch.js';

describe('safeSearchTarget', () => {
  it('sends every Google country search domain to forcesafesearch.google.com', () => {
    expect(googleSearchTlds.length).toBeGreaterThan(180);
    for (const tld of googleSearchTlds) {
      expect(safeSearchTarget(`www.google.${tld}`, 'off')).toBe('forcesafesearch.google.com');
      expect(safeSearchTarget(`google.${tld}`, 'off')).toBe('forcesafesearch.google.com');
    }
    expect(safeSearchTarget('WWW.GOOGLE.COM.VN.', 'off')).toBe('forcesafesearch.google.com');
  });

  it('leaves other Google hosts alone (mail, docs, the rewrite target itself)', () => {
    for (const host of ['mail.google.com', 'docs.google.com', 'forcesafesearch.google.com', 'www.google.example.com', 'google.invalid']) {
      expect(safeSearchTarget(host, 'strict')).toBeNull();
    }
  });

  it('sends YouTube to the restricted host the profile asks for, or leaves it when off', () => {
    for (const host of ['www.youtube.com', 'm.youtube.com', 'youtubei.googleapis.com', 'youtube.googleapis.com', 'www.youtube-nocookie.com']) {
      expect(safeSearchTarget(host, 'strict')).toBe('restrict.youtube.com');
      expect(safeSearchTarget(host, 'moderate')).toBe('restrictmoderate.youtube.com');
      expect(safeSearchTarget(host, 'off')).toBeNull();
    }
  });

  it('sends Bing and DuckDuckGo to their strict hosts', () => {
    expect(safeSearchTarget('www.bing.com', 'off')).toBe('strict.bing.com');
    expect(safeSearchTarget('duckduckgo.com', 'off')).toBe('safe.duckduckgo.com');
    expect(safeSearchTarget('www.duckduckgo.com.', 'off')).toBe('safe.duckduckgo.com');
  });

  it('rewrites no search engine when the profile’s SafeSearch is off, but still YouTube', () => {
    expect(safeSearchTarget('www.google.com', 'strict', false)).toBeNull();
    expect(safeSearchTarget('www.youtube.com', 'strict', false)).toBe('restrict.youtube.com');
  });

  it('only lists names in normal form', () => {
    for (const name of safeSearchNames()) expect(normaliseName(name)).toEqual({ ok: true, name });
  });
});

describe('bypassAnswer', () => {
  it('answers the Firefox canary and iCloud Private Relay with NXDOMAIN', () => {
    expect(bypassAnswer('use-application-dns.net')).toBe('nxdomain');
    expect(bypassAnswer('USE-APPLICATION-DNS.NET.')).toBe('nxdomain');
    expect(bypassAnswer('mask.icloud.com')).toBe('nxdomain');
    expect(bypassAnswer('mask-h2.icloud.com')).toBe('nxdomain');
  });

  it('advertises no designated encrypted resolver', () => {
    expect(bypassAnswer('_dns.resolver.arpa')).toBe('no-answer');
  });

  it('leaves ordinary names alone', () => {
    expect(bypassAnswer('icloud.com')).toBeNull();
    expect(bypassAnswer('www.example.com')).toBeNull();
    expect(bypassAnswer('a'.repeat(200) + '.com')).toBeNull();
  });
});
