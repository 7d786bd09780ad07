// DNS message reader/writer for what a filter needs: header + question, EDNS, local answers, TTLs.
//
// Hand-written rather than a library: the filter reads one question per query on the hot path,
// so parsing works on the received Buffer in place with a reused scratch area, every loop is
// bounded by the message length or a named limit, and every failure is a `DnsWireError` with a
// code (fuzz-tested: random bytes never throw anything else and never hang).

/** Fixed DNS header size (RFC 1035 §4.1.1). */
export const dnsHeaderBytes = 12;
/** Longest name on the wire, length bytes included (RFC 1035 §2.3.4). */
export const maxNameWireBytes = 255;
/** Longest label (RFC 1035 §2.3.4). */
export const maxLabelBytes = 63;
/** Compression pointers followed in one name; a legal name needs far fewer (at most 127 labels). */
export const maxCompressionPointers = 64;
/** Largest DNS message over TCP (2-byte length prefix). */
export const maxDnsMessageBytes = 65_535;
/** UDP answer size a client without EDNS accepts (RFC 1035 §4.2.1). */
export const classicUdpPayloadBytes = 512;
/** Cap on the UDP size a client may advertise with EDNS; larger answers go TC and then TCP. */
export const maxUdpPayloadBytes = 4096;
/** UDP size we advertise in our own OPT records (DNS flag day 2020: avoids IP fragmentation). */
export const ourEdnsPayloadBytes = 1232;
/** Resource records walked in one message when looking for OPT or TTLs. */
export const maxRecordsWalked = 1024;

export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RecordClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const Rcode = {
  noError: 0,
  formErr: 1,
  servFail: 2,
  nxDomain: 3,
  notImp: 4,
  refused: 5,
} as const;

export const Opcode = { query: 0 } as const;

// Header flag bits (second 16-bit word).
const flagQr = 0x8000;
const flagAa = 0x0400;
const flagTc = 0x0200;
const flagRd = 0x0100;
const flagRa = 0x0080;
const flagCd = 0x0010;
const ednsFlagDo = 0x8000;

export type DnsWireErrorCode =
  | 'too-short'
  | 'too-long'
  | 'truncated'
  | 'bad-label'
  | 'bad-pointer'
  | 'name-too-long'
  | 'not-a-query'
  | 'bad-question-count'
  | 'bad-record';

/** Every parse/build failure of this module. */
export class DnsWireError extends Error {
  readonly code: DnsWireErrorCode;
  constructor(code: DnsWireErrorCode, message: string) {
    super(message);
    this.name = 'DnsWireError';
    this.code = code;
  }
}

/** What the filter needs from a query. Reusable: `parseQuery` overwrites every field. */
export interface ParsedQuery {
  id: number;
  /** Raw header flags word (opcode, RD, CD … as received). */
  flags: number;
  opcode: number;
  /** Question count from the header (only 1 is answered). */
  qdcount: number;
  /** Lower-case name without the trailing dot; '' for the root. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just after the question: bytes [12, questionEnd) are echoed in answers. */
  questionEnd: number;
  /** True when the query carries an OPT record (EDNS0). */
  edns: boolean;
  /** UDP size the client advertised (0 without EDNS). */
  ednsPayload: number;
  ednsVersion: number;
  /** DNSSEC OK bit, echoed in our OPT. */
  ednsDo: boolean;
}

export function emptyParsedQuery(): ParsedQuery {
  return { id: 0, flags: 0, opcode: 0, qdcount: 0, name: '', qtype: 0, qclass: 0, questionEnd: 0, edns: false, ednsPayload: 0, ednsVersion: 0, ednsDo: false };
}

// One scratch buffer for decoded names: single-threaded, filled and read within one call.
const nameScratch = Buffer.allocUnsafe(maxNameWireBytes + 1);

function u16(msg: Uint8Array, at: number): number {
  return (msg[at]! << 8) | msg[at + 1]!;
}

function u32(msg: Uint8Array, at: number): number {
  return ((msg[at]! << 24) >>> 0) + ((msg[at + 1]! << 16) | (msg[at + 2]! << 8) | msg[at + 3]!);
}

/**
 * Reads the name at `offset` into the scratch area, lower-cased, labels joined by '.'.
 * Returns the offset after the name where it starts (not where pointers led) and the decoded
 * length in `nameLength`. Pointers must point strictly backwards, so no name can loop.
 */
let nameLength = 0;
function readNameInto(msg: Uint8Array, offset: number, end: number): number {
  let at = offset;
  let after = -1;
  let wire = 0;
  let out = 0;
  let jumps = 0;
  // Every pointer must land before the last place we jumped to (or the name's start), so jump
  // targets strictly decrease: no loop is possible, whatever the bytes.
  let floor = offset;
  // Each iteration consumes a label or a pointer; both are bounded (name length, pointer count).
  for (;;) {
    if (at >= end) throw new DnsWireError('truncated', 'name runs past the end of the message');
    const len = msg[at]!;
    if (len === 0) {
      wire += 1;
      if (after < 0) after = at + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= end) throw new DnsWireError('truncated', 'compression pointer cut short');
      const target = ((len & 0x3f) << 8) | msg[at + 1]!;
      if (after < 0) after = at + 2;
      if (target >= floor || target < dnsHeaderBytes) throw new DnsWireError('bad-pointer', 'compression pointer does not point backwards into the message');
      if (++jumps > maxCompressionPointers) throw new DnsWireError('bad-pointer', 'too many compression pointers');
      at = target;
      floor = target;
      continue;
    }
    if (kind !== 0) throw new DnsWireError('bad-label', 'unknown label type');
    wire += len + 1;
    if (wire + 1 > maxNameWireBytes) throw new DnsWireError('name-too-long', 'name longer than 255 bytes');
    if (at + 1 + len > end) throw new DnsWireError('truncated', 'label runs past the end of the message');
    if (out > 0) nameScratch[out++] = 0x2e; // '.'
    for (let i = at + 1, stop = at + 1 + len; i < stop; i++) {
      const c = msg[i]!;
      nameScratch[out++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    at += 1 + len;
  }
  nameLength = out;
  return after;
}

/** Skips the name at `offset` without decoding it; returns the offset after it. */
export function skipName(msg: Uint8Array, offset: number, end: number = msg.length): number {
  let at = offset;
  let wire = 0;
  for (;;) {
    if (at >= end) throw new DnsWireError('truncated', 'name runs past the end of the message');
    const len = msg[at]!;
    if (len === 0) return at + 1;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= end) throw new DnsWireError('truncated', 'compression pointer cut short');
      return at + 2;
    }
    if (kind !== 0) throw new DnsWireError('bad-label', 'unknown label type');
    wire += len + 1;
    if (wire + 1 > maxNameWireBytes) throw new DnsWireError('name-too-long', 'name longer than 255 bytes');
    at += 1 + len;
  }
}

/** Reads and lower-cases a (possibly compressed) name; allocates one string. */
export function readName(msg: Uint8Array, offset: number, end: number = msg.length): { name: string; next: number } {
  const next = readNameInto(msg, offset, end);
  return { name: nameScratch.toString('latin1', 0, nameLength), next };
}

/**
 * Parses the header, the single question and the OPT record of a query into `out`.
 * Throws `DnsWireError`: 'too-short' when even the header is missing (the caller drops it),
 * other codes when a FORMERR answer can still echo the id.
 */
export function parseQuery(msg: Uint8Array, out: ParsedQuery, length: number = msg.length): ParsedQuery {
  const end = length;
  if (end < dnsHeaderBytes) throw new DnsWireError('too-short', 'message shorter than a DNS header');
  if (end > maxDnsMessageBytes) throw new DnsWireError('too-long', 'message longer than 65535 bytes');
  out.id = u16(msg, 0);
  out.flags = u16(msg, 2);
  out.opcode = (out.flags >> 11) & 0x0f;
  out.qdcount = u16(msg, 4);
  out.name = '';
  out.qtype = 0;
  out.qclass = 0;
  out.questionEnd = dnsHeaderBytes;
  out.edns = false;
  out.ednsPayload = 0;
  out.ednsVersion = 0;
  out.ednsDo = false;
  if (out.flags & flagQr) throw new DnsWireError('not-a-query', 'QR bit set: this is a response');
  if (out.qdcount !== 1) throw new DnsWireError('bad-question-count', 'a query must carry exactly one question');
  const afterName = readNameInto(msg, dnsHeaderBytes, end);
  if (afterName + 4 > end) throw new DnsWireError('truncated', 'question cut short');
  out.name = nameScratch.toString('latin1', 0, nameLength);
  out.qtype = u16(msg, afterName);
  out.qclass = u16(msg, afterName + 2);
  out.questionEnd = afterName + 4;
  const records = u16(msg, 6) + u16(msg, 8) + u16(msg, 10);
  if (records > 0) findOpt(msg, out.questionEnd, end, u16(msg, 6) + u16(msg, 8), u16(msg, 10), out);
  return out;
}

function findOpt(msg: Uint8Array, start: number, end: number, skipCount: number, additionalCount: number, out: ParsedQuery): void {
  if (skipCount + additionalCount > maxRecordsWalked) throw new DnsWireError('bad-record', 'too many records');
  let at = start;
  for (let i = 0; i < skipCount + additionalCount; i++) {
    at = skipName(msg, at, end);
    if (at + 10 > end) throw new DnsWireError('truncated', 'record header cut short');
    const type = u16(msg, at);
    const rdlength = u16(msg, at + 8);
    if (i >= skipCount && type === RecordType.OPT && !out.edns) {
      out.edns = true;
      out.ednsPayload = u16(msg, at + 2);
      out.ednsVersion = msg[at + 5]!;
      out.ednsDo = (u16(msg, at + 6) & ednsFlagDo) !== 0;
    }
    at += 10 + rdlength;
    if (at > end) throw new DnsWireError('truncated', 'record data cut short');
  }
}

/** Largest UDP answer this client accepts. */
export function udpLimitFor(q: ParsedQuery): number {
  if (!q.edns) return classicUdpPayloadBytes;
  return Math.min(Math.max(q.ednsPayload, classicUdpPayloadBytes), maxUdpPayloadBytes);
}

/** Reads the id of any message (query or response) with at least 2 bytes. */
export function readId(msg: Uint8Array): number {
  return u16(msg, 0);
}

export function writeId(msg: Uint8Array, id: number): void {
  msg[0] = (id >> 8) & 0xff;
  msg[1] = id & 0xff;
}

export function readRcode(msg: Uint8Array): number {
  return msg[3]! & 0x0f;
}

export function isTruncated(msg: Uint8Array): boolean {
  return (msg[2]! & (flagTc >> 8)) !== 0;
}

export function isResponse(msg: Uint8Array): boolean {
  return (msg[2]! & (flagQr >> 8)) !== 0;
}

function writeU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >> 8) & 0xff;
  buf[at + 1] = v & 0xff;
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >>> 24) & 0xff;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

const optRecordBytes = 11;

function responseFlags(q: ParsedQuery, rcode: number, authoritative: boolean): number {
  // Keep opcode, RD and CD from the query; we always offer recursion.
  return flagQr | (q.flags & (0x7800 | flagRd | flagCd)) | flagRa | (authoritative ? flagAa : 0) | (rcode & 0x0f);
}

function writeHeader(buf: Uint8Array, q: ParsedQuery, flags: number, qd: number, an: number, ns: number, ar: number): void {
  writeU16(buf, 0, q.id);
  writeU16(buf, 2, flags);
  writeU16(buf, 4, qd);
  writeU16(buf, 6, an);
  writeU16(buf, 8, ns);
  writeU16(buf, 10, ar);
}

function writeOpt(buf: Uint8Array, at: number, q: ParsedQuery): number {
  buf[at] = 0; // root name
  writeU16(buf, at + 1, RecordType.OPT);
  writeU16(buf, at + 3, ourEdnsPayloadBytes);
  writeU32(buf, at + 5, q.ednsDo ? ednsFlagDo : 0); // ext-rcode 0, version 0, DO echoed (RFC 3225)
  writeU16(buf, at + 9, 0);
  return at + optRecordBytes;
}

/**
 * An answer made here, without asking upstream: header + the query's own question bytes
 * (original letter case, as 0x20-randomising clients expect) + optional one record + our OPT.
 * `rdata` null means no answer record (NXDOMAIN / NODATA / errors).
 */
export function buildLocalAnswer(query: Uint8Array, q: ParsedQuery, rcode: number, answerType: number, ttlSeconds: number, rdata: Uint8Array | null): Buffer {
  const questionBytes = q.questionEnd - dnsHeaderBytes;
  const answerBytes = rdata ? 12 + rdata.length : 0;
  const size = dnsHeaderBytes + questionBytes + answerBytes + (q.edns ? optRecordBytes : 0);
  const buf = Buffer.allocUnsafe(size);
  writeHeader(buf, q, responseFlags(q, rcode, true), 1, rdata ? 1 : 0, 0, q.edns ? 1 : 0);
  buf.set(query.subarray(dnsHeaderBytes, q.questionEnd), dnsHeaderBytes);
  let at = q.questionEnd;
  if (rdata) {
    writeU16(buf, at, 0xc000 | dnsHeaderBytes); // pointer to the question name
    writeU16(buf, at + 2, answerType);
    writeU16(buf, at + 4, RecordClass.IN);
    writeU32(buf, at + 6, ttlSeconds);
    writeU16(buf, at + 10, rdata.length);
    buf.set(rdata, at + 12);
    at += 12 + rdata.length;
  }
  if (q.edns) at = writeOpt(buf, at, q);
  return buf;
}

const zeroIpv4 = new Uint8Array(4);
const zeroIpv6 = new Uint8Array(16);

/** Blocked name, null-ip mode: A → 0.0.0.0, AAAA → ::, any other type → NODATA. */
export function buildNullIpAnswer(query: Uint8Array, q: ParsedQuery, ttlSeconds: number): Buffer {
  if (q.qtype === RecordType.A) return buildLocalAnswer(query, q, Rcode.noError, RecordType.A, ttlSeconds, zeroIpv4);
  if (q.qtype === RecordType.AAAA) return buildLocalAnswer(query, q, Rcode.noError, RecordType.AAAA, ttlSeconds, zeroIpv6);
  return buildLocalAnswer(query, q, Rcode.noError, 0, 0, null);
}

export function buildNxdomain(query: Uint8Array, q: ParsedQuery): Buffer {
  return buildLocalAnswer(query, q, Rcode.nxDomain, 0, 0, null);
}

export function buildNodata(query: Uint8Array, q: ParsedQuery): Buffer {
  return buildLocalAnswer(query, q, Rcode.noError, 0, 0, null);
}

/** SERVFAIL / REFUSED / NOTIMP with the question echoed. */
export function buildError(query: Uint8Array, q: ParsedQuery, rcode: number): Buffer {
  return buildLocalAnswer(query, q, rcode, 0, 0, null);
}

/** FORMERR for a query whose header was readable but whose body was not: id only, no question. */
export function buildFormErr(query: Uint8Array): Buffer {
  const buf = Buffer.alloc(dnsHeaderBytes);
  buf[0] = query[0]!;
  buf[1] = query[1]!;
  const flags = flagQr | (u16(query, 2) & (0x7800 | flagRd)) | flagRa | Rcode.formErr;
  writeU16(buf, 2, flags);
  return buf;
}

/** Encodes a dotted name uncompressed; throws 'bad-label' / 'name-too-long' on illegal names. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.');
  let size = 1;
  for (const l of labels) {
    const bytes = Buffer.byteLength(l, 'latin1');
    if (bytes === 0 || bytes > maxLabelBytes) throw new DnsWireError('bad-label', `bad label in ${JSON.stringify(name)}`);
    size += bytes + 1;
  }
  if (size > maxNameWireBytes) throw new DnsWireError('name-too-long', 'name longer than 255 bytes');
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const l of labels) {
    buf[at] = l.length;
    buf.write(l, at + 1, 'latin1');
    at += 1 + l.length;
  }
  buf[at] = 0;
  return buf;
}

/** Rewrites compressed names inside a record's data as plain names (for types that carry names). */
function expandRdata(msg: Uint8Array, type: number, start: number, rdlength: number): Buffer {
  const stop = start + rdlength;
  const raw = msg.subarray(start, stop);
  const nameAt = (at: number): { bytes: Buffer; next: number } => {
    const { name, next } = readName(msg, at, stop);
    return { bytes: encodeName(name), next };
  };
  if (type === RecordType.CNAME || type === RecordType.NS || type === RecordType.PTR || type === RecordType.DNAME) {
    return nameAt(start).bytes;
  }
  if (type === RecordType.MX) {
    if (rdlength < 3) throw new DnsWireError('bad-record', 'MX record too short');
    return Buffer.concat([raw.subarray(0, 2), nameAt(start + 2).bytes]);
  }
  if (type === RecordType.SOA) {
    const a = nameAt(start);
    const b = nameAt(a.next);
    if (b.next + 20 > stop) throw new DnsWireError('bad-record', 'SOA record too short');
    return Buffer.concat([a.bytes, b.bytes, msg.subarray(b.next, b.next + 20)]);
  }
  // A, AAAA, HTTPS/SVCB (TargetName is never compressed, RFC 9460), TXT, … are copied as they are.
  return Buffer.from(raw);
}

/**
 * Copies the answer records of `reply` (an upstream response) with their names expanded, so they
 * can follow our CNAME in a SafeSearch answer. Bounded by `maxRecordsWalked`.
 */
export function copyAnswerRecords(reply: Uint8Array): Buffer[] {
  const end = reply.length;
  if (end < dnsHeaderBytes) throw new DnsWireError('too-short', 'reply shorter than a DNS header');
  const qd = u16(reply, 4);
  const an = u16(reply, 6);
  if (qd + an > maxRecordsWalked) throw new DnsWireError('bad-record', 'too many records');
  let at = dnsHeaderBytes;
  for (let i = 0; i < qd; i++) {
    at = skipName(reply, at, end) + 4;
    if (at > end) throw new DnsWireError('truncated', 'question cut short');
  }
  const out: Buffer[] = [];
  for (let i = 0; i < an; i++) {
    const owner = readName(reply, at, end);
    at = owner.next;
    if (at + 10 > end) throw new DnsWireError('truncated', 'record header cut short');
    const type = u16(reply, at);
    const rdlength = u16(reply, at + 8);
    if (at + 10 + rdlength > end) throw new DnsWireError('truncated', 'record data cut short');
    const rdata = expandRdata(reply, type, at + 10, rdlength);
    const ownerBytes = encodeName(owner.name);
    const rec = Buffer.allocUnsafe(ownerBytes.length + 10 + rdata.length);
    ownerBytes.copy(rec, 0);
    rec.set(reply.subarray(at, at + 8), ownerBytes.length); // type, class, ttl
    writeU16(rec, ownerBytes.length + 8, rdata.length);
    rdata.copy(rec, ownerBytes.length + 10);
    out.push(rec);
    at += 10 + rdlength;
  }
  return out;
}

/**
 * SafeSearch answer: `<question name> CNAME <target>` followed by the target's own records as the
 * upstream resolved them (`upstreamReply`, may be null when only the CNAME is wanted). The rcode
 * follows the upstream reply so a failing target stays visible.
 */
export function buildCnameAnswer(query: Uint8Array, q: ParsedQuery, target: string, ttlSeconds: number, upstreamReply: Uint8Array | null): Buffer {
  const targetBytes = encodeName(target);
  const records = upstreamReply ? copyAnswerRecords(upstreamReply) : [];
  const rcode = upstreamReply ? readRcode(upstreamReply) : Rcode.noError;
  const questionBytes = q.questionEnd - dnsHeaderBytes;
  let size = dnsHeaderBytes + questionBytes + 12 + targetBytes.length + (q.edns ? optRecordBytes : 0);
  for (const r of records) size += r.length;
  if (size > maxDnsMessageBytes) throw new DnsWireError('too-long', 'answer longer than 65535 bytes');
  const buf = Buffer.allocUnsafe(size);
  writeHeader(buf, q, responseFlags(q, rcode, false), 1, 1 + records.length, 0, q.edns ? 1 : 0);
  buf.set(query.subarray(dnsHeaderBytes, q.questionEnd), dnsHeaderBytes);
  let at = q.questionEnd;
  writeU16(buf, at, 0xc000 | dnsHeaderBytes);
  writeU16(buf, at + 2, RecordType.CNAME);
  writeU16(buf, at + 4, RecordClass.IN);
  writeU32(buf, at + 6, ttlSeconds);
  writeU16(buf, at + 10, targetBytes.length);
  targetBytes.copy(buf, at + 12);
  at += 12 + targetBytes.length;
  for (const r of records) {
    r.copy(buf, at);
    at += r.length;
  }
  if (q.edns) at = writeOpt(buf, at, q);
  return buf;
}

/** A recursive query for `name`/`qtype` (RD set, EDNS with our UDP size). */
export function buildQuery(name: string, qtype: number, id: number, edns = true): Buffer {
  const nameBytes = encodeName(name);
  const buf = Buffer.allocUnsafe(dnsHeaderBytes + nameBytes.length + 4 + (edns ? optRecordBytes : 0));
  writeU16(buf, 0, id);
  writeU16(buf, 2, flagRd);
  writeU16(buf, 4, 1);
  writeU16(buf, 6, 0);
  writeU16(buf, 8, 0);
  writeU16(buf, 10, edns ? 1 : 0);
  nameBytes.copy(buf, dnsHeaderBytes);
  let at = dnsHeaderBytes + nameBytes.length;
  writeU16(buf, at, qtype);
  writeU16(buf, at + 2, RecordClass.IN);
  at += 4;
  if (edns) {
    buf[at] = 0;
    writeU16(buf, at + 1, RecordType.OPT);
    writeU16(buf, at + 3, ourEdnsPayloadBytes);
    writeU32(buf, at + 5, 0);
    writeU16(buf, at + 9, 0);
  }
  return buf;
}

/**
 * True when `reply` is a response whose single question is `name`/`qtype`/`qclass` (name compared
 * case-insensitively). Guards against answers to a different question with a guessed id.
 */
export function replyMatchesQuestion(reply: Uint8Array, name: string, qtype: number, qclass: number): boolean {
  try {
    if (reply.length < dnsHeaderBytes || !isResponse(reply) || u16(reply, 4) !== 1) return false;
    const after = readNameInto(reply, dnsHeaderBytes, reply.length);
    if (after + 4 > reply.length) return false;
    if (u16(reply, after) !== qtype || u16(reply, after + 2) !== qclass) return false;
    if (nameLength !== name.length) return false;
    for (let i = 0; i < nameLength; i++) if (nameScratch[i] !== name.charCodeAt(i)) return false;
    return true;
  } catch (err) {
    if (err instanceof DnsWireError) return false;
    throw err;
  }
}

/**
 * A response cut down for UDP: header + question (+ OPT when the client speaks EDNS), TC set,
 * so the client retries over TCP (RFC 1035 §4.2.1, RFC 7766).
 */
export function truncateForUdp(query: Uint8Array, q: ParsedQuery, response: Uint8Array): Buffer {
  const questionBytes = q.questionEnd - dnsHeaderBytes;
  const buf = Buffer.allocUnsafe(dnsHeaderBytes + questionBytes + (q.edns ? optRecordBytes : 0));
  const flags = (u16(response, 2) | flagTc | flagQr) & 0xffff;
  writeHeader(buf, q, flags, 1, 0, 0, q.edns ? 1 : 0);
  buf.set(query.subarray(dnsHeaderBytes, q.questionEnd), dnsHeaderBytes);
  if (q.edns) writeOpt(buf, q.questionEnd, q);
  return buf;
}

/** How long a response may be cached and where its TTL fields sit (to age them on reuse). */
export interface CacheFacts {
  /** Seconds; 0 = do not cache. */
  ttlSeconds: number;
  /** Byte offsets of every record TTL field except OPT's. */
  ttlOffsets: number[];
  /** Offset just after the question (bytes [12, questionEnd) can be swapped for the asker's). */
  questionEnd: number;
}

/**
 * Reads what a cache needs from an upstream response: the smallest TTL of the answer records, or
 * for a negative answer (NXDOMAIN / NODATA) min(SOA TTL, SOA minimum) per RFC 2308; 0 for
 * SERVFAIL, truncated answers, or anything it cannot read.
 */
export function readCacheFacts(msg: Uint8Array): CacheFacts {
  const none: CacheFacts = { ttlSeconds: 0, ttlOffsets: [], questionEnd: 0 };
  const end = msg.length;
  if (end < dnsHeaderBytes || !isResponse(msg) || isTruncated(msg)) return none;
  const rcode = readRcode(msg);
  if (rcode !== Rcode.noError && rcode !== Rcode.nxDomain) return none;
  const qd = u16(msg, 4);
  const an = u16(msg, 6);
  const ns = u16(msg, 8);
  const ar = u16(msg, 10);
  if (qd !== 1 || an + ns + ar > maxRecordsWalked) return none;
  try {
    let at = skipName(msg, dnsHeaderBytes, end) + 4;
    if (at > end) return none;
    const questionEnd = at;
    let answerTtl = Infinity;
    let negativeTtl = Infinity;
    const ttlOffsets: number[] = [];
    for (let i = 0; i < an + ns + ar; i++) {
      at = skipName(msg, at, end);
      if (at + 10 > end) return none;
      const type = u16(msg, at);
      const ttl = u32(msg, at + 4);
      const rdlength = u16(msg, at + 8);
      if (at + 10 + rdlength > end) return none;
      if (type !== RecordType.OPT) {
        ttlOffsets.push(at + 4);
        if (i < an) answerTtl = Math.min(answerTtl, ttl);
        else if (i < an + ns && type === RecordType.SOA && rdlength >= 22) {
          const minimum = u32(msg, at + 10 + rdlength - 4);
          negativeTtl = Math.min(negativeTtl, ttl, minimum);
        }
      }
      at += 10 + rdlength;
    }
    const ttl = an > 0 && rcode === Rcode.noError ? answerTtl : negativeTtl;
    if (!Number.isFinite(ttl)) return { ttlSeconds: 0, ttlOffsets, questionEnd };
    return { ttlSeconds: ttl > 0x7fffffff ? 0 : ttl, ttlOffsets, questionEnd };
  } catch (err) {
    if (err instanceof DnsWireError) return none;
    throw err;
  }
}

/** Lowers every TTL at `offsets` (`count` of them from `start`) by `elapsedSeconds`, not below 0: cached answers age honestly. */
export function ageTtls(msg: Uint8Array, offsets: ArrayLike<number>, elapsedSeconds: number, start = 0, count = offsets.length - start): void {
  if (elapsedSeconds <= 0) return;
  for (let i = start; i < start + count; i++) {
    const at = offsets[i]!;
    const ttl = u32(msg, at);
    writeU32(msg, at, ttl > elapsedSeconds ? ttl - elapsedSeconds : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Whole-message decoding/encoding: allocating and slow-ish, for tests, tools and the test upstream
// server; never on the query path.

export interface DecodedRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Decoded for A/AAAA (text address), CNAME/NS/PTR (name), else raw bytes. */
  data: string | Uint8Array;
}

export interface DecodedMessage {
  id: number;
  flags: number;
  rcode: number;
  truncated: boolean;
  questions: { name: string; type: number; class: number }[];
  answers: DecodedRecord[];
  authorities: DecodedRecord[];
  additionals: DecodedRecord[];
}

function decodeRecord(msg: Uint8Array, at: number, end: number): { record: DecodedRecord; next: number } {
  const owner = readName(msg, at, end);
  at = owner.next;
  if (at + 10 > end) throw new DnsWireError('truncated', 'record header cut short');
  const type = u16(msg, at);
  const klass = u16(msg, at + 2);
  const ttl = u32(msg, at + 4);
  const rdlength = u16(msg, at + 8);
  const start = at + 10;
  if (start + rdlength > end) throw new DnsWireError('truncated', 'record data cut short');
  let data: string | Uint8Array;
  if (type === RecordType.A && rdlength === 4) data = Array.from(msg.subarray(start, start + 4)).join('.');
  else if (type === RecordType.AAAA && rdlength === 16) data = formatIpv6(msg.subarray(start, start + 16));
  else if (type === RecordType.CNAME || type === RecordType.NS || type === RecordType.PTR) data = readName(msg, start, start + rdlength).name;
  else data = Uint8Array.from(msg.subarray(start, start + rdlength));
  return { record: { name: owner.name, type, class: klass, ttl, data }, next: start + rdlength };
}

function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

export function decodeMessage(msg: Uint8Array): DecodedMessage {
  const end = msg.length;
  if (end < dnsHeaderBytes) throw new DnsWireError('too-short', 'message shorter than a DNS header');
  const flags = u16(msg, 2);
  const counts = [u16(msg, 4), u16(msg, 6), u16(msg, 8), u16(msg, 10)] as const;
  if (counts[0] + counts[1] + counts[2] + counts[3] > maxRecordsWalked) throw new DnsWireError('bad-record', 'too many records');
  let at = dnsHeaderBytes;
  const questions: DecodedMessage['questions'] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(msg, at, end);
    if (n.next + 4 > end) throw new DnsWireError('truncated', 'question cut short');
    questions.push({ name: n.name, type: u16(msg, n.next), class: u16(msg, n.next + 2) });
    at = n.next + 4;
  }
  const sections: DecodedRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = decodeRecord(msg, at, end);
      sections[s]!.push(r.record);
      at = r.next;
    }
  }
  return { id: u16(msg, 0), flags, rcode: flags & 0x0f, truncated: (flags & flagTc) !== 0, questions, answers: sections[0]!, authorities: sections[1]!, additionals: sections[2]! };
}

export interface EncodableRecord {
  name: string;
  type: number;
  class?: number;
  ttl: number;
  /** Raw record data (already encoded). */
  rdata: Uint8Array;
}

/** Encodes a response (no compression). For the test upstream server and tools. */
export function encodeResponse(opts: {
  id: number;
  flags?: number;
  rcode?: number;
  truncated?: boolean;
  question?: { name: string; type: number; class?: number };
  answers?: EncodableRecord[];
  authorities?: EncodableRecord[];
  additionals?: EncodableRecord[];
}): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(dnsHeaderBytes);
  const sections = [opts.answers ?? [], opts.authorities ?? [], opts.additionals ?? []];
  writeU16(header, 0, opts.id);
  writeU16(header, 2, (opts.flags ?? flagQr | flagRd | flagRa) | (opts.truncated ? flagTc : 0) | ((opts.rcode ?? 0) & 0x0f));
  writeU16(header, 4, opts.question ? 1 : 0);
  writeU16(header, 6, sections[0]!.length);
  writeU16(header, 8, sections[1]!.length);
  writeU16(header, 10, sections[2]!.length);
  parts.push(header);
  if (opts.question) {
    const qt = Buffer.alloc(4);
    writeU16(qt, 0, opts.question.type);
    writeU16(qt, 2, opts.question.class ?? RecordClass.IN);
    parts.push(encodeName(opts.question.name), qt);
  }
  for (const section of sections) {
    for (const r of section) {
      const fixed = Buffer.alloc(10);
      writeU16(fixed, 0, r.type);
      writeU16(fixed, 2, r.class ?? RecordClass.IN);
      writeU32(fixed, 4, r.ttl);
      writeU16(fixed, 8, r.rdata.length);
      parts.push(encodeName(r.name), fixed, Buffer.from(r.rdata));
    }
  }
  return Buffer.concat(parts);
}

/** Record data helpers for `encodeResponse`. */
export const rdata = {
  a(address: string): Uint8Array {
    return Uint8Array.from(address.split('.').map((p) => Number(p)));
  },
  aaaa(address: string): Uint8Array {
    const [head = '', tail = ''] = address.includes('::') ? address.split('::') : [address, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    const out = new Uint8Array(16);
    groups.forEach((g, i) => writeU16(out, i * 2, parseInt(g, 16)));
    return out;
  },
  name(name: string): Uint8Array {
    return encodeName(name);
  },
  /** HTTPS/SVCB: priority + target name + raw params. */
  svcb(priority: number, target: string, params: Uint8Array = new Uint8Array(0)): Uint8Array {
    const t = encodeName(target);
    const out = new Uint8Array(2 + t.length + params.length);
    writeU16(out, 0, priority);
    out.set(t, 2);
    out.set(params, 2 + t.length);
    return out;
  },
  soa(mname: string, rname: string, serial: number, minimum: number): Uint8Array {
    const a = encodeName(mname);
    const b = encodeName(rname);
    const out = new Uint8Array(a.length + b.length + 20);
    out.set(a, 0);
    out.set(b, a.length);
    const at = a.length + b.length;
    writeU32(out, at, serial);
    writeU32(out, at + 4, 3600);
    writeU32(out, at + 8, 600);
    writeU32(out, at + 12, 86400);
    writeU32(out, at + 16, minimum);
    return out;
  },
};
