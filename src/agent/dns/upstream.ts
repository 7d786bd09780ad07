// Forwards allowed queries to the upstream resolvers: UDP first, TCP when truncated, failover
// between servers, a small cache in front, identical in-flight questions asked once.
//
// Spoofing defence for a LAN attacker: every upstream query gets a random id (from a refilled
// crypto-random pool), leaves from a socket whose port the OS chose at random and that is retired
// after a few hundred queries, and a reply counts only when it comes from the server asked, with
// the id and the very question we sent.

import dgram from 'node:dgram';
import net from 'node:net';
import { randomFillSync } from 'node:crypto';
import { AnswerCache, cacheKey, questionEndOf } from './cache.js';
import {
  RecordClass,
  Rcode,
  buildQuery,
  dnsHeaderBytes,
  isTruncated,
  maxDnsMessageBytes,
  readId,
  readRcode,
  replyMatchesQuestion,
  writeId,
} from './wire.js';

export interface UpstreamServer {
  /** IPv4 or IPv6 address (a zone such as `fe80::1%eth0` is allowed). No host names: we are the resolver. */
  host: string;
  port: number;
}

/** One UDP try at one server. */
export const upstreamAttemptTimeoutMs = 1500;
/** A whole forwarded question, every server and the TCP retry included. */
export const upstreamQueryTimeoutMs = 4000;
/** TCP exchange with one server (connect + send + answer). */
export const upstreamTcpTimeoutMs = 3000;
/** Questions waiting for upstream at once; beyond this the client gets SERVFAIL (bounded memory). */
export const maxUpstreamInFlight = 512;
/** UDP sockets per address family; queries are spread over them. */
export const upstreamSocketsPerFamily = 4;
/** A socket is retired (new OS-chosen port) after this many queries. */
export const maxQueriesPerUpstreamSocket = 200;
/** A server that timed out is asked after the healthy ones for this long. */
export const upstreamServerPenaltyMs = 30_000;

export type UpstreamErrorCode = 'no-upstream' | 'timeout' | 'busy' | 'closed';

export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  constructor(code: UpstreamErrorCode, message: string) {
    super(message);
    this.name = 'UpstreamError';
    this.code = code;
  }
}

/** The question a reply must carry to be accepted. */
export interface UpstreamQuestion {
  name: string;
  qtype: number;
  qclass: number;
}

interface Pending {
  server: UpstreamServer;
  question: UpstreamQuestion;
  resolve: (reply: Buffer) => void;
  timer: NodeJS.Timeout;
}

interface SocketSlot {
  socket: dgram.Socket;
  pending: Map<number, Pending>;
  used: number;
  retiring: boolean;
}

// Random ids from a pool refilled 4096 at a time: crypto quality without a syscall per query.
const idPool = new Uint16Array(4096);
let idPoolNext = idPool.length;
function randomId(): number {
  if (idPoolNext >= idPool.length) {
    randomFillSync(idPool);
    idPoolNext = 0;
  }
  return idPool[idPoolNext++]!;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (s: string): string => s.replace(/%.*$/, '').toLowerCase();
  if (!net.isIPv6(strip(a)) || !net.isIPv6(strip(b))) return false;
  // Compare canonical forms so that "0:0::1" and "::1" agree.
  const sa = new net.SocketAddress({ address: strip(a), family: 'ipv6' });
  const sb = new net.SocketAddress({ address: strip(b), family: 'ipv6' });
  return sa.address === sb.address;
}

export interface UpstreamTimeouts {
  attemptTimeoutMs?: number;
  queryTimeoutMs?: number;
  tcpTimeoutMs?: number;
}

/** Asks one of several upstream servers, with failover; no cache (see `Forwarder`). */
export class Upstream {
  private servers: UpstreamServer[];
  private readonly attemptTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly tcpTimeoutMs: number;
  private readonly penaltyUntil = new Map<string, number>();
  private readonly slots: { udp4: SocketSlot[]; udp6: SocketSlot[] } = { udp4: [], udp6: [] };
  private nextSlot = 0;
  private inFlight = 0;
  private closed = false;
  timeouts = 0;
  tcpRetries = 0;

  constructor(servers: readonly UpstreamServer[], timeouts: UpstreamTimeouts = {}) {
    this.servers = [...servers];
    this.attemptTimeoutMs = timeouts.attemptTimeoutMs ?? upstreamAttemptTimeoutMs;
    this.queryTimeoutMs = timeouts.queryTimeoutMs ?? upstreamQueryTimeoutMs;
    this.tcpTimeoutMs = timeouts.tcpTimeoutMs ?? upstreamTcpTimeoutMs;
  }

  setServers(servers: readonly UpstreamServer[]): void {
    this.servers = [...servers];
    this.penaltyUntil.clear();
  }

  listServers(): UpstreamServer[] {
    return [...this.servers];
  }

  get pendingCount(): number {
    return this.inFlight;
  }

  /**
   * Sends `query` (any id; a copy with a fresh random id goes out) and returns the first reply
   * that matches `question`. A truncated UDP reply is retried over TCP at the same server.
   * SERVFAIL/REFUSED move on to the next server and are returned only when every server failed.
   */
  async exchange(query: Uint8Array, question: UpstreamQuestion): Promise<Buffer> {
    if (this.closed) throw new UpstreamError('closed', 'upstream closed');
    if (this.servers.length === 0) throw new UpstreamError('no-upstream', 'no upstream DNS server configured');
    if (this.inFlight >= maxUpstreamInFlight) throw new UpstreamError('busy', 'too many questions waiting for upstream');
    this.inFlight++;
    try {
      const deadline = Date.now() + this.queryTimeoutMs;
      let fallback: Buffer | null = null;
      for (const server of this.serverOrder()) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        let reply = await this.udpAttempt(server, query, question, Math.min(this.attemptTimeoutMs, left));
        if (!reply) {
          this.timeouts++;
          this.penaltyUntil.set(`${server.host}#${server.port}`, Date.now() + upstreamServerPenaltyMs);
          continue;
        }
        if (isTruncated(reply)) {
          this.tcpRetries++;
          const tcp = await this.tcpExchange(server, query, question, Math.min(this.tcpTimeoutMs, Math.max(deadline - Date.now(), 1)));
          if (!tcp) {
            fallback ??= reply;
            continue;
          }
          reply = tcp;
        }
        const rcode = readRcode(reply);
        if (rcode === Rcode.servFail || rcode === Rcode.refused) {
          fallback = reply;
          continue;
        }
        return reply;
      }
      if (fallback) return fallback;
      throw new UpstreamError('timeout', 'no upstream DNS server answered in time');
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    this.closed = true;
    for (const family of [this.slots.udp4, this.slots.udp6]) {
      for (const slot of family) this.closeSlot(slot);
      family.length = 0;
    }
  }

  /** Healthy servers first, in configured order; penalised ones after them. */
  private serverOrder(): UpstreamServer[] {
    const now = Date.now();
    const healthy: UpstreamServer[] = [];
    const penalised: UpstreamServer[] = [];
    for (const s of this.servers) ((this.penaltyUntil.get(`${s.host}#${s.port}`) ?? 0) > now ? penalised : healthy).push(s);
    return healthy.concat(penalised);
  }

  private slotFor(family: 'udp4' | 'udp6'): SocketSlot {
    const list = this.slots[family];
    // Close retired slots once their last answer is in; count the live ones (no allocation).
    let live = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i]!;
      if (!s.retiring) live++;
      else if (s.pending.size === 0) {
        this.closeSlot(s);
        list.splice(i, 1);
      }
    }
    if (live < upstreamSocketsPerFamily) {
      const slot = this.openSlot(family);
      list.push(slot);
      return slot;
    }
    // Round robin over the live slots.
    for (let tries = 0; tries < list.length; tries++) {
      const slot = list[this.nextSlot++ % list.length]!;
      if (!slot.retiring) return slot;
    }
    return list[0]!;
  }

  private openSlot(family: 'udp4' | 'udp6'): SocketSlot {
    const socket = dgram.createSocket({ type: family });
    const slot: SocketSlot = { socket, pending: new Map(), used: 0, retiring: false };
    socket.on('message', (msg, rinfo) => {
      if (msg.length < dnsHeaderBytes) return;
      const p = slot.pending.get(readId(msg));
      if (!p) return;
      if (rinfo.port !== p.server.port || !sameAddress(rinfo.address, p.server.host)) return;
      if (!replyMatchesQuestion(msg, p.question.name, p.question.qtype, p.question.qclass)) return;
      slot.pending.delete(readId(msg));
      clearTimeout(p.timer);
      p.resolve(msg);
    });
    // A send error (network unreachable …) surfaces as a timeout of that attempt; never a crash.
    socket.on('error', () => {});
    socket.unref();
    return slot;
  }

  private closeSlot(slot: SocketSlot): void {
    for (const p of slot.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(Buffer.alloc(0));
    }
    slot.pending.clear();
    try {
      slot.socket.close();
    } catch {
      // already closed
    }
  }

  /** One UDP try; resolves null on timeout (never rejects). */
  private udpAttempt(server: UpstreamServer, query: Uint8Array, question: UpstreamQuestion, timeoutMs: number): Promise<Buffer | null> {
    const family = net.isIPv6(server.host.replace(/%.*$/, '')) ? 'udp6' : 'udp4';
    const slot = this.slotFor(family);
    let id = randomId();
    for (let i = 0; i < 8 && slot.pending.has(id); i++) id = randomId();
    if (slot.pending.has(id)) return Promise.resolve(null);
    if (++slot.used >= maxQueriesPerUpstreamSocket) slot.retiring = true;
    const out = Buffer.allocUnsafe(query.length);
    out.set(query);
    writeId(out, id);
    return new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      slot.pending.set(id, { server, question, timer, resolve: (reply) => resolve(reply.length > 0 ? reply : null) });
      slot.socket.send(out, server.port, server.host, (err) => {
        if (err && slot.pending.get(id)?.timer === timer) {
          slot.pending.delete(id);
          clearTimeout(timer);
          resolve(null);
        }
      });
    });
  }

  /** One TCP exchange (2-byte length framing); resolves null on any failure. */
  private tcpExchange(server: UpstreamServer, query: Uint8Array, question: UpstreamQuestion, timeoutMs: number): Promise<Buffer | null> {
    return new Promise<Buffer | null>((resolve) => {
      const id = randomId();
      const framed = Buffer.allocUnsafe(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      writeId(framed.subarray(2), id);
      let received: Buffer = Buffer.alloc(0);
      let done = false;
      const socket = net.connect({ host: server.host, port: server.port });
      const finish = (reply: Buffer | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      };
      const timer = setTimeout(() => finish(null), timeoutMs);
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(framed));
      socket.on('data', (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        if (received.length > maxDnsMessageBytes + 2) return finish(null);
        if (received.length < 2) return;
        const len = received.readUInt16BE(0);
        if (received.length < 2 + len) return;
        const reply = Buffer.from(received.subarray(2, 2 + len));
        if (readId(reply) !== id || !replyMatchesQuestion(reply, question.name, question.qtype, question.qclass)) return finish(null);
        finish(reply);
      });
      socket.on('error', () => finish(null));
      socket.on('close', () => finish(null));
    });
  }
}

/**
 * Query bits that change what upstream answers, so they are part of the cache key: DO (DNSSEC
 * records), CD (checking disabled) and whether the asker speaks EDNS at all (an answer with an OPT
 * record must not go to a client that sent none).
 */
export function variantBits(ednsDo: boolean, headerFlags: number, edns: boolean): number {
  return (ednsDo ? 1 : 0) | (headerFlags & 0x0010 ? 2 : 0) | (edns ? 4 : 0);
}

/**
 * Cache + single-flight in front of `Upstream`. Every answer returned is the caller's own buffer,
 * carrying the caller's id and question bytes.
 */
export class Forwarder {
  readonly cache: AnswerCache;
  private readonly inFlight = new Map<string, Promise<Buffer>>();

  constructor(
    readonly upstream: Upstream,
    now: () => number = Date.now,
  ) {
    this.cache = new AnswerCache(now);
  }

  /**
   * The cached answer for this asker, or null. Synchronous, so the filter answers cache hits
   * without a promise; `key` comes from `cacheKey`.
   */
  fromCache(key: string, query: Uint8Array, id: number, questionEnd: number): Buffer | null {
    return this.cache.get(key, id, query, questionEnd);
  }

  /** Forwards a client's query (its bytes as received) for an allowed name: cache, then upstream. */
  async forward(query: Uint8Array, id: number, questionEnd: number, question: UpstreamQuestion, bits: number): Promise<Buffer> {
    const key = cacheKey(question.name, question.qtype, question.qclass, bits);
    return this.fromCache(key, query, id, questionEnd) ?? this.fetch(key, query, id, questionEnd, question);
  }

  /** Asks upstream (once for identical questions in flight) and caches the reply; no cache lookup. */
  async fetch(key: string, query: Uint8Array, id: number, questionEnd: number, question: UpstreamQuestion): Promise<Buffer> {
    let shared = this.inFlight.get(key);
    if (!shared) {
      shared = this.upstream.exchange(query, question).then(
        (reply) => {
          this.inFlight.delete(key);
          this.cache.put(key, reply);
          return reply;
        },
        (err: unknown) => {
          this.inFlight.delete(key);
          throw err;
        },
      );
      this.inFlight.set(key, shared);
    }
    const reply = await shared;
    const out = Buffer.allocUnsafe(reply.length);
    reply.copy(out);
    writeId(out, id);
    if (questionEndOf(out) === questionEnd) out.set(query.subarray(dnsHeaderBytes, questionEnd), dnsHeaderBytes);
    return out;
  }

  /** Resolves `name`/`qtype` for our own use (SafeSearch targets); id of the result is arbitrary. */
  async resolve(name: string, qtype: number): Promise<Buffer> {
    const query = buildQuery(name, qtype, 0, true);
    return this.forward(query, 0, questionEndOf(query), { name, qtype, qclass: RecordClass.IN }, variantBits(false, 0, true));
  }

  close(): void {
    this.upstream.close();
    this.cache.clear();
  }
}
