// Small TTL-respecting answer cache for forwarded queries: bounded in entries and bytes, least
// recently used first out.
//
// Only upstream answers for names the filter allowed are cached; the filter decides before the
// cache is asked, so a profile change takes effect on the very next query.
//
// Built so the garbage collector hardly sees it: answers and keys live in two preallocated slabs,
// the index and the recency list in typed arrays. The first design, a Map of per-answer objects,
// kept thousands of key strings, entry objects and Buffer views alive for seconds for the GC to
// copy and mark (major GCs at 2000 new names a second). With this one a warm filter adds about
// +0.3 ms p99 to forwarded lookups (bench/dns/run.mjs, BENCHMARKS.md).
// The slabs are allocated untouched: the OS maps pages in as answers arrive.

import { fnvOffsetBasis, fnvPrime } from '../../shared/filtering/fingerprint.js';
import { ageTtls, dnsHeaderBytes, readCacheFacts, skipName, writeId } from './wire.js';

/** Most answers kept; the least recently used goes first. */
export const maxCachedAnswers = 4096;
/** Total bytes of cached answers (old PCs: keep it small); also the slab size, so answers over a slot (kept beside it) can add up to as much again. */
export const maxCacheBytes = 4 * 1024 * 1024;
/** Answers larger than this are not cached (rare; they are usually TCP-only anyway). */
export const maxCachedAnswerBytes = 4096;
/** Room for one answer in the slab; a larger one (up to maxCachedAnswerBytes, rare) is kept in a side table. */
const slotBytes = maxCacheBytes / maxCachedAnswers;
/** TTL positions kept per answer; one with more records finds them again when served (rare). */
const ttlOffsetsPerSlot = 16;
/** Longest cache key kept (a 253-character name and its qtype/qclass/variant prefix fit). */
const maxKeyChars = 272;
/** Longest we keep an answer, whatever its TTL says. */
export const maxCacheTtlSeconds = 3600;
/** Negative answers (NXDOMAIN / NODATA) are kept at most this long. */
export const maxNegativeCacheTtlSeconds = 300;

/** The cache key of a question; `variantBits` (DO, CD, EDNS) change what upstream returns. */
export function cacheKey(name: string, qtype: number, qclass: number, variantBits: number): string {
  return `${qtype}/${qclass}/${variantBits}/${name}`;
}

const empty = 0;
const deleted = -1;
const none = -1;
/** Open-addressing index: twice the slots, so probes stay short. */
const indexSize = maxCachedAnswers * 2;

/** FNV-1a over the key's UTF-16 code units. */
function hashKey(key: string): number {
  let h = fnvOffsetBasis;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, fnvPrime);
  }
  return h >>> 0;
}

export class AnswerCache {
  /** Answer bytes: slot s owns [s * slotBytes, (s + 1) * slotBytes). */
  private readonly answers = Buffer.allocUnsafeSlow(maxCacheBytes);
  /** Key characters (Latin-1; a key with a wider character is not cached): slot s owns maxKeyChars. */
  private readonly keys = Buffer.allocUnsafeSlow(maxCachedAnswers * maxKeyChars);
  /** Answers too large for a slot: few, so a plain array is fine. */
  private readonly large: (Buffer | undefined)[] = [];
  private readonly answerLength = new Uint16Array(maxCachedAnswers);
  private readonly keyLength = new Uint16Array(maxCachedAnswers);
  private readonly questionEnd = new Uint16Array(maxCachedAnswers);
  /** Where each record's TTL sits, for aging on the way out; count > ttlOffsetsPerSlot = not kept. */
  private readonly ttlOffsets = new Uint16Array(maxCachedAnswers * ttlOffsetsPerSlot);
  private readonly ttlCount = new Uint8Array(maxCachedAnswers);
  private readonly hashes = new Uint32Array(maxCachedAnswers);
  private readonly storedAt = new Float64Array(maxCachedAnswers);
  private readonly expiresAt = new Float64Array(maxCachedAnswers);
  /** Recency list: head = most recently used, tail = next to go. */
  private readonly newer = new Int32Array(maxCachedAnswers);
  private readonly older = new Int32Array(maxCachedAnswers);
  private head = none;
  private tail = none;
  /** Index cells: slot + 1, `empty` or `deleted`. */
  private readonly index = new Int32Array(indexSize);
  private deletedCells = 0;
  /** Free slots, a stack. */
  private readonly free = new Int32Array(maxCachedAnswers);
  private freeCount = 0;
  private count = 0;
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.clear();
  }

  get size(): number {
    return this.count;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * A fresh copy of the cached answer for `key`, with the asker's id and question bytes (their
   * letter case) and TTLs lowered by the time spent in the cache; null on a miss.
   */
  get(key: string, id: number, query: Uint8Array, questionEnd: number): Buffer | null {
    const slot = this.find(key, hashKey(key));
    if (slot === none) {
      this.misses++;
      return null;
    }
    const now = this.now();
    if (now >= this.expiresAt[slot]!) {
      this.drop(slot);
      this.misses++;
      return null;
    }
    this.touch(slot);
    this.hits++;
    const length = this.answerLength[slot]!;
    const out = Buffer.allocUnsafe(length);
    const large = this.large[slot];
    if (large) large.copy(out);
    else this.answers.copy(out, 0, slot * slotBytes, slot * slotBytes + length);
    writeId(out, id);
    if (this.questionEnd[slot] === questionEnd) out.set(query.subarray(dnsHeaderBytes, questionEnd), dnsHeaderBytes);
    const elapsed = Math.floor((now - this.storedAt[slot]!) / 1000);
    if (elapsed > 0) {
      const count = this.ttlCount[slot]!;
      if (count > ttlOffsetsPerSlot) ageTtls(out, readCacheFacts(out).ttlOffsets, elapsed);
      else ageTtls(out, this.ttlOffsets, elapsed, slot * ttlOffsetsPerSlot, count);
    }
    return out;
  }

  /** Stores an upstream reply when its TTLs allow it. The bytes are copied. */
  put(key: string, reply: Uint8Array): void {
    if (reply.length > maxCachedAnswerBytes || key.length > maxKeyChars) return;
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return;
    const facts = readCacheFacts(reply);
    if (facts.ttlSeconds <= 0) return;
    const answered = ((reply[6]! << 8) | reply[7]!) > 0 && (reply[3]! & 0x0f) === 0;
    const ttl = Math.min(facts.ttlSeconds, answered ? maxCacheTtlSeconds : maxNegativeCacheTtlSeconds);
    const hash = hashKey(key);
    const old = this.find(key, hash);
    if (old !== none) this.drop(old);
    // Evict the least recently used until one more answer fits both bounds.
    while (this.count > 0 && (this.freeCount === 0 || this.bytes + reply.length > maxCacheBytes)) this.drop(this.tail);
    const slot = this.free[--this.freeCount]!;
    const now = this.now();
    if (reply.length <= slotBytes) {
      this.answers.set(reply, slot * slotBytes);
    } else {
      this.large[slot] = Buffer.from(reply);
    }
    this.answerLength[slot] = reply.length;
    this.keys.write(key, slot * maxKeyChars, 'latin1');
    this.keyLength[slot] = key.length;
    this.questionEnd[slot] = facts.questionEnd;
    const offsets = facts.ttlOffsets;
    this.ttlCount[slot] = Math.min(offsets.length, ttlOffsetsPerSlot + 1);
    if (offsets.length <= ttlOffsetsPerSlot) this.ttlOffsets.set(offsets, slot * ttlOffsetsPerSlot);
    this.hashes[slot] = hash;
    this.storedAt[slot] = now;
    this.expiresAt[slot] = now + ttl * 1000;
    this.insertIndex(slot, hash);
    this.linkAtHead(slot);
    this.count++;
    this.bytes += reply.length;
  }

  clear(): void {
    this.index.fill(empty);
    this.deletedCells = 0;
    this.large.length = 0;
    this.head = this.tail = none;
    for (let i = 0; i < maxCachedAnswers; i++) this.free[i] = maxCachedAnswers - 1 - i;
    this.freeCount = maxCachedAnswers;
    this.count = 0;
    this.bytes = 0;
  }

  private sameKey(slot: number, key: string): boolean {
    if (this.keyLength[slot] !== key.length) return false;
    const base = slot * maxKeyChars;
    for (let i = 0; i < key.length; i++) if (this.keys[base + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  /** The slot holding `key`, or none. */
  private find(key: string, hash: number): number {
    for (let cell = hash % indexSize, probes = 0; probes < indexSize; probes++, cell = cell + 1 === indexSize ? 0 : cell + 1) {
      const v = this.index[cell]!;
      if (v === empty) return none;
      if (v === deleted) continue;
      const slot = v - 1;
      if (this.hashes[slot] === hash && this.sameKey(slot, key)) return slot;
    }
    return none;
  }

  private insertIndex(slot: number, hash: number): void {
    // Too many tombstones make misses walk far: rebuild from the live slots (no allocation).
    if (this.deletedCells > maxCachedAnswers / 2) this.rebuildIndex();
    for (let cell = hash % indexSize; ; cell = cell + 1 === indexSize ? 0 : cell + 1) {
      const v = this.index[cell]!;
      if (v === empty || v === deleted) {
        if (v === deleted) this.deletedCells--;
        this.index[cell] = slot + 1;
        return;
      }
    }
  }

  private removeIndex(slot: number): void {
    for (let cell = this.hashes[slot]! % indexSize; ; cell = cell + 1 === indexSize ? 0 : cell + 1) {
      const v = this.index[cell]!;
      if (v === slot + 1) {
        this.index[cell] = deleted;
        this.deletedCells++;
        return;
      }
      if (v === empty) return;
    }
  }

  private rebuildIndex(): void {
    this.index.fill(empty);
    this.deletedCells = 0;
    for (let slot = this.head; slot !== none; slot = this.older[slot]!) {
      for (let cell = this.hashes[slot]! % indexSize; ; cell = cell + 1 === indexSize ? 0 : cell + 1) {
        if (this.index[cell] === empty) {
          this.index[cell] = slot + 1;
          break;
        }
      }
    }
  }

  private linkAtHead(slot: number): void {
    this.newer[slot] = none;
    this.older[slot] = this.head;
    if (this.head !== none) this.newer[this.head] = slot;
    this.head = slot;
    if (this.tail === none) this.tail = slot;
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot]!;
    const older = this.older[slot]!;
    if (newer !== none) this.older[newer] = older;
    else this.head = older;
    if (older !== none) this.newer[older] = newer;
    else this.tail = newer;
  }

  private touch(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.linkAtHead(slot);
  }

  private drop(slot: number): void {
    this.removeIndex(slot);
    this.unlink(slot);
    this.large[slot] = undefined;
    this.bytes -= this.answerLength[slot]!;
    this.count--;
    this.free[this.freeCount++] = slot;
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
