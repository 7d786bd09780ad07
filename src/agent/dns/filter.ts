// The decision for every DNS question on the agent: bypass defence, block, SafeSearch, forward —
// and the bounded queue of blocked attempts the agent core sends to the console.
//
// Order matters:
//  1. bypass names (Firefox DoH canary, iCloud Private Relay → NXDOMAIN; `_dns.resolver.arpa`,
//     which advertises encrypted DNS, → NODATA), whatever the profile;
//  2. the profile's verdict: a blocked name is answered here (0.0.0.0/:: or NXDOMAIN). This comes
//     BEFORE SafeSearch so that allowlist-only lessons and blocked search engines stay blocked: a
//     rewrite would otherwise let www.google.com through a lesson allowlist;
//  3. SafeSearch: A, AAAA and HTTPS (type 65) questions for search engines are answered with a
//     CNAME to the engine's safe host plus that host's records, fetched upstream. Before the first
//     list + profile ever arrived (a PC enrolled a minute ago, its saved list lost) a built-in
//     floor applies: strict SafeSearch everywhere, YouTube included, with the bypass names of 1;
//  4. everything else is forwarded upstream (cache, UDP, TCP on truncation).
// The synchronous path (1–2) allocates only the answer buffer: the parsed query is a reused object.

import {
  DnsWireError,
  RecordClass,
  RecordType,
  Rcode,
  buildCnameAnswer,
  buildError,
  buildFormErr,
  buildNodata,
  buildNullIpAnswer,
  buildNxdomain,
  emptyParsedQuery,
  parseQuery,
  truncateForUdp,
  udpLimitFor,
  type ParsedQuery,
} from './wire.js';
import { variantBits, type Forwarder } from './upstream.js';
import { cacheKey } from './cache.js';
import type { QueryAnswerer } from './server.js';
import { bypassAnswer } from '../../shared/filtering/bypass.js';
import type { CompiledPolicy } from '../../shared/filtering/policy.js';
import type { YoutubeMode } from '../../shared/filtering/profile.js';
import { safeSearchTarget } from '../../shared/filtering/safesearch.js';

/**
 * YouTube mode of the built-in floor that holds until the first list + profile arrives: the
 * strictest, since nobody has said yet which age band this PC serves (search engines are forced to
 * SafeSearch too).
 */
export const floorYoutubeMode: YoutubeMode = 'strict';

/** TTL of blocked answers: short, so lifting a block (lesson ends) reaches browsers soon. */
export const blockedAnswerTtlSeconds = 10;
/** TTL of the SafeSearch CNAME (the target's own records keep their upstream TTLs). */
export const safeSearchCnameTtlSeconds = 60;
/** Blocked attempts kept for the console; the oldest is dropped (and counted) beyond this. */
export const maxQueuedBlockedAttempts = 1000;
/** Attempts handed to the agent core per drain: small batches on the wire. */
export const blockedAttemptBatchSize = 50;
/**
 * A browser asks A, AAAA and HTTPS for one visit, and retries; the same name right after itself
 * within this window is one attempt, not several.
 */
export const blockedAttemptRepeatWindowMs = 5_000;

/** One blocked attempt as the console sees it: time, name, category — never page content. */
export interface BlockedAttempt {
  /** Milliseconds since the epoch. */
  time: number;
  name: string;
  /** Category that blocked it (e.g. 'adult', 'custom-block'), or 'allowlist-only'. */
  category: string;
}

/** Where the filter finds the rules in force (the matcher store swaps them atomically). */
export interface RulesSource {
  readonly policy: CompiledPolicy | null;
}

export interface FilterStats {
  queries: number;
  blocked: number;
  bypassDenied: number;
  rewritten: number;
  /** Allowed names answered from the cache. */
  answeredFromCache: number;
  /** Allowed names sent upstream (cache misses). */
  forwarded: number;
  upstreamFailures: number;
  malformed: number;
  refused: number;
  truncated: number;
  blockedAttemptsDropped: number;
  blockedAttemptsRepeated: number;
}

export interface DnsFilterOptions {
  rules: RulesSource;
  forwarder: Forwarder;
  /** Called when the blocked-attempt queue goes from empty to non-empty (so the core can drain soon). */
  onBlockedAttempt?: () => void;
  now?: () => number;
}

/** Bounded ring of blocked attempts; no allocation per record beyond what the strings already are. */
class BlockedAttemptQueue {
  private readonly times = new Float64Array(maxQueuedBlockedAttempts);
  private readonly names: string[] = new Array<string>(maxQueuedBlockedAttempts).fill('');
  private readonly categories: string[] = new Array<string>(maxQueuedBlockedAttempts).fill('');
  private head = 0;
  count = 0;
  dropped = 0;
  repeated = 0;
  private lastName = '';
  private lastTime = -Infinity;

  /** Returns true when the queue was empty before. */
  push(time: number, name: string, category: string): boolean {
    if (name === this.lastName && time - this.lastTime < blockedAttemptRepeatWindowMs) {
      this.repeated++;
      return false;
    }
    this.lastName = name;
    this.lastTime = time;
    const wasEmpty = this.count === 0;
    if (this.count === maxQueuedBlockedAttempts) {
      // Full: the oldest goes, the newest is what a teacher watching live needs.
      this.head = (this.head + 1) % maxQueuedBlockedAttempts;
      this.count--;
      this.dropped++;
    }
    const at = (this.head + this.count) % maxQueuedBlockedAttempts;
    this.times[at] = time;
    this.names[at] = name;
    this.categories[at] = category;
    this.count++;
    return wasEmpty;
  }

  drain(max: number): BlockedAttempt[] {
    const n = Math.min(Math.max(0, Math.floor(max)), this.count);
    const out: BlockedAttempt[] = new Array<BlockedAttempt>(n);
    for (let i = 0; i < n; i++) {
      const at = this.head;
      out[i] = { time: this.times[at]!, name: this.names[at]!, category: this.categories[at]! };
      this.names[at] = '';
      this.categories[at] = '';
      this.head = (this.head + 1) % maxQueuedBlockedAttempts;
      this.count--;
    }
    return out;
  }
}

export class DnsFilter implements QueryAnswerer {
  private readonly rulesSource: RulesSource;
  private readonly forwarder: Forwarder;
  private readonly onBlockedAttempt: () => void;
  private readonly now: () => number;
  private readonly scratch: ParsedQuery = emptyParsedQuery();
  private readonly attempts = new BlockedAttemptQueue();
  private readonly counters = {
    queries: 0,
    blocked: 0,
    bypassDenied: 0,
    rewritten: 0,
    answeredFromCache: 0,
    forwarded: 0,
    upstreamFailures: 0,
    malformed: 0,
    refused: 0,
    truncated: 0,
  };

  constructor(options: DnsFilterOptions) {
    this.rulesSource = options.rules;
    this.forwarder = options.forwarder;
    this.onBlockedAttempt = options.onBlockedAttempt ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  stats(): FilterStats {
    return { ...this.counters, blockedAttemptsDropped: this.attempts.dropped, blockedAttemptsRepeated: this.attempts.repeated };
  }

  /** Blocked attempts waiting for the console. */
  get queuedBlockedAttempts(): number {
    return this.attempts.count;
  }

  /** Takes up to `max` of the oldest blocked attempts off the queue (the core sends them). */
  drainBlockedAttempts(max: number = blockedAttemptBatchSize): BlockedAttempt[] {
    return this.attempts.drain(max);
  }

  /**
   * Puts attempts saved by an earlier run back in the queue, oldest first, with their own times
   * (bounded like every attempt: beyond the queue size the oldest go).
   */
  requeueBlockedAttempts(attempts: readonly BlockedAttempt[]): void {
    let wasEmpty = false;
    for (const a of attempts) wasEmpty = this.attempts.push(a.time, a.name, a.category) || wasEmpty;
    if (wasEmpty) this.onBlockedAttempt();
  }

  answer(query: Buffer, transport: 'udp' | 'tcp'): Buffer | null | Promise<Buffer | null> {
    const q = this.scratch;
    try {
      parseQuery(query, q);
    } catch (err) {
      if (!(err instanceof DnsWireError)) throw err;
      // Not even a header, or a response sent to us: nothing sensible to answer.
      if (err.code === 'too-short' || err.code === 'not-a-query') return null;
      this.counters.malformed++;
      return buildFormErr(query);
    }
    this.counters.queries++;
    if (q.opcode !== 0) return buildError(query, q, Rcode.notImp);
    if ((q.qclass !== RecordClass.IN && q.qclass !== RecordClass.ANY) || q.qtype === RecordType.AXFR || q.qtype === RecordType.IXFR) {
      this.counters.refused++;
      return buildError(query, q, Rcode.refused);
    }
    const name = q.name;

    // Bypass defence holds even before the first profile arrives.
    const bypass = bypassAnswer(name);
    if (bypass) {
      this.counters.bypassDenied++;
      return bypass === 'nxdomain' ? buildNxdomain(query, q) : buildNodata(query, q);
    }

    const policy = this.rulesSource.policy;
    if (policy) {
      const view = policy.match(name);
      if (policy.decide(view) === 'block') {
        this.counters.blocked++;
        if (this.attempts.push(this.now(), name, policy.blockingCategory(view) ?? 'blocked')) this.onBlockedAttempt();
        return policy.blockResponse === 'nxdomain' ? buildNxdomain(query, q) : buildNullIpAnswer(query, q, blockedAnswerTtlSeconds);
      }
    }
    if (q.qtype === RecordType.A || q.qtype === RecordType.AAAA || q.qtype === RecordType.HTTPS) {
      // No rules yet: the built-in floor (SafeSearch everywhere) until the console sends some.
      const target = policy ? policy.safeSearchTarget(name) : safeSearchTarget(name, floorYoutubeMode, true);
      if (target !== null && target !== name) return this.rewrite(query, { ...q }, target, transport);
    }
    // Cache hits are answered synchronously; only a miss goes async (and copies the parsed query).
    const key = cacheKey(name, q.qtype, q.qclass, variantBits(q.ednsDo, q.flags, q.edns));
    const cached = this.forwarder.fromCache(key, query, q.id, q.questionEnd);
    if (cached) {
      this.counters.answeredFromCache++;
      return this.fit(query, q, cached, transport);
    }
    return this.forward(query, { ...q }, key, transport);
  }

  private async forward(query: Buffer, q: ParsedQuery, key: string, transport: 'udp' | 'tcp'): Promise<Buffer> {
    this.counters.forwarded++;
    let reply: Buffer;
    try {
      reply = await this.forwarder.fetch(key, query, q.id, q.questionEnd, { name: q.name, qtype: q.qtype, qclass: q.qclass });
    } catch {
      // UpstreamError (timeout, no upstream, busy): the client should try again later.
      this.counters.upstreamFailures++;
      return buildError(query, q, Rcode.servFail);
    }
    return this.fit(query, q, reply, transport);
  }

  private async rewrite(query: Buffer, q: ParsedQuery, target: string, transport: 'udp' | 'tcp'): Promise<Buffer> {
    this.counters.rewritten++;
    let targetReply: Buffer;
    try {
      targetReply = await this.forwarder.resolve(target, q.qtype);
    } catch {
      this.counters.upstreamFailures++;
      return buildError(query, q, Rcode.servFail);
    }
    let answer: Buffer;
    try {
      answer = buildCnameAnswer(query, q, target, safeSearchCnameTtlSeconds, targetReply);
    } catch (err) {
      if (!(err instanceof DnsWireError)) throw err;
      // The upstream reply for the safe host was unreadable: still never the unsafe host.
      answer = buildCnameAnswer(query, q, target, safeSearchCnameTtlSeconds, null);
    }
    return this.fit(query, q, answer, transport);
  }

  private fit(query: Buffer, q: ParsedQuery, reply: Buffer, transport: 'udp' | 'tcp'): Buffer {
    if (transport === 'udp' && reply.length > udpLimitFor(q)) {
      this.counters.truncated++;
      return truncateForUdp(query, q, reply);
    }
    return reply;
  }
}
