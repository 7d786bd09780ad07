// Small TTL-respecting answer cache for forwarded queries: bounded in entries and bytes, LRU-ish.
//
// Only upstream answers for names the filter allowed are cached; the filter decides before the
// cache is asked, so a profile change takes effect on the very next query.

import { ageTtls, dnsHeaderBytes, readCacheFacts, skipName, writeId } from './wire.js';

/** Most answers kept; the least recently used goes first. */
export const maxCachedAnswers = 4096;
/** Total bytes of cached answers (old PCs: keep it small). */
export const maxCacheBytes = 4 * 1024 * 1024;
/** Answers larger than this are not cached (rare; they are usually TCP-only anyway). */
export const maxCachedAnswerBytes = 4096;
/** Longest we keep an answer, whatever its TTL says. */
export const maxCacheTtlSeconds = 3600;
/** Negative answers (NXDOMAIN / NODATA) are kept at most this long. */
export const maxNegativeCacheTtlSeconds = 300;

interface Entry {
  reply: Buffer;
  storedAtMs: number;
  expiresAtMs: number;
  ttlOffsets: number[];
  questionEnd: number;
}

/** The cache key of a question; `variantBits` (DO, CD, EDNS) change what upstream returns. */
export function cacheKey(name: string, qtype: number, qclass: number, variantBits: number): string {
  return `${qtype}/${qclass}/${variantBits}/${name}`;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * A fresh copy of the cached answer for `key`, with the asker's id and question bytes (their
   * letter case) and TTLs lowered by the time spent in the cache; null on a miss.
   */
  get(key: string, id: number, query: Uint8Array, questionEnd: number): Buffer | null {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return null;
    }
    const now = this.now();
    if (now >= entry.expiresAtMs) {
      this.remove(key, entry);
      this.misses++;
      return null;
    }
    // Move to the young end: Map iteration order is insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    const out = Buffer.allocUnsafe(entry.reply.length);
    entry.reply.copy(out);
    writeId(out, id);
    if (entry.questionEnd === questionEnd) out.set(query.subarray(dnsHeaderBytes, questionEnd), dnsHeaderBytes);
    ageTtls(out, entry.ttlOffsets, Math.floor((now - entry.storedAtMs) / 1000));
    return out;
  }

  /** Stores an upstream reply when its TTLs allow it. The buffer is copied. */
  put(key: string, reply: Uint8Array): void {
    if (reply.length > maxCachedAnswerBytes) return;
    const facts = readCacheFacts(reply);
    if (facts.ttlSeconds <= 0) return;
    const answered = ((reply[6]! << 8) | reply[7]!) > 0 && (reply[3]! & 0x0f) === 0;
    const ttl = Math.min(facts.ttlSeconds, answered ? maxCacheTtlSeconds : maxNegativeCacheTtlSeconds);
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const now = this.now();
    const entry: Entry = { reply: Buffer.from(reply), storedAtMs: now, expiresAtMs: now + ttl * 1000, ttlOffsets: facts.ttlOffsets, questionEnd: facts.questionEnd };
    this.entries.set(key, entry);
    this.bytes += entry.reply.length;
    // Evict the least recently used until both bounds hold (bounded: each pass removes one).
    while (this.entries.size > maxCachedAnswers || this.bytes > maxCacheBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value, this.entries.get(oldest.value)!);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.reply.length;
  }
}

/** Offset just after the single question of a message, or -1 when unreadable. */
export function questionEndOf(msg: Uint8Array): number {
  try {
    const at = skipName(msg, dnsHeaderBytes, msg.length) + 4;
    return at <= msg.length ? at : -1;
  } catch {
    return -1;
  }
}
