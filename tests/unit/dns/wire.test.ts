// The DNS wire reader/writer: question parsing, local answers, truncation, TTLs — and random bytes
// only ever produce a coded DnsWireError, never another exception or a hang.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DnsWireError,
  RecordType,
  Rcode,
  ageTtls,
  buildCnameAnswer,
  buildFormErr,
  buildNullIpAnswer,
  buildNxdomain,
  buildQuery,
  classicUdpPayloadBytes,
  copyAnswerRecords,
  decodeMessage,
  emptyParsedQuery,
  encodeName,
  encodeResponse,
  parseQuery,
  rdata,
  readCacheFacts,
  readName,
  replyMatchesQuestion,
  truncateForUdp,
  udpLimitFor,
} from '../../../src/agent/dns/wire.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DnsWireError) return err.code;
    throw err;
  }
  return 'no error';
}

/** A query exactly as dig sends it (upper-case letters, EDNS, AD bit), built by hand. */
function digQuery(name: string, qtype: number, id = 0x1234): Buffer {
  const labels = name.split('.').filter(Boolean);
  const parts = [Buffer.from([id >> 8, id & 0xff, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]));
  parts.push(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])); // OPT 1232, DO
  return Buffer.concat(parts);
}

describe('DNS question parsing', () => {
  it('reads id, name, type, class and EDNS of a dig query', () => {
    const q = parseQuery(digQuery('www.Example.COM', RecordType.AAAA), emptyParsedQuery());
    expect(q).toMatchObject({ id: 0x1234, name: 'www.example.com', qtype: 28, qclass: 1, edns: true, ednsPayload: 1232, ednsDo: true, qdcount: 1 });
    expect(udpLimitFor(q)).toBe(1232);
  });

  it('normalises names on the wire: upper case, punycode and deep subdomains keep their form, lower-cased', () => {
    const out = emptyParsedQuery();
    expect(parseQuery(buildQuery('XN--BCHER-KVA.Example', 1, 1), out).name).toBe('xn--bcher-kva.example');
    const deep = Array.from({ length: 40 }, (_, i) => `l${i}`).join('.') + '.blocked.test';
    expect(parseQuery(buildQuery(deep, 1, 1), out).name).toBe(deep);
    // A trailing dot is just the root label on the wire.
    expect(parseQuery(buildQuery('site.test.', 1, 1), out).name).toBe('site.test');
    expect(parseQuery(buildQuery('.', 2, 1), out).name).toBe('');
  });

  it('answers a plain query without EDNS within 512 bytes', () => {
    const q = parseQuery(buildQuery('a.test', 1, 7, false), emptyParsedQuery());
    expect(q.edns).toBe(false);
    expect(udpLimitFor(q)).toBe(classicUdpPayloadBytes);
  });

  it('rejects responses, empty and double questions, and cut messages with codes', () => {
    const q = emptyParsedQuery();
    const good = buildQuery('a.test', 1, 7);
    expect(codeOf(() => parseQuery(good.subarray(0, 5), q))).toBe('too-short');
    const response = Buffer.from(good);
    response[2] |= 0x80;
    expect(codeOf(() => parseQuery(response, q))).toBe('not-a-query');
    const none = Buffer.from(good);
    none[5] = 0;
    expect(codeOf(() => parseQuery(none, q))).toBe('bad-question-count');
    expect(codeOf(() => parseQuery(good.subarray(0, 16), q))).toBe('truncated');
  });

  it('refuses compression pointers that loop or point forwards', () => {
    const q = emptyParsedQuery();
    // The question name is a pointer to itself.
    const selfQuestion = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(codeOf(() => parseQuery(selfQuestion, q))).toBe('bad-pointer');
    // A label followed by a pointer back to that label: "a.a.a.a…" for ever if followed blindly.
    const loop = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x61, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    expect(codeOf(() => decodeMessage(loop))).toBe('bad-pointer');
    // A pointer to itself.
    const self = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x61, 0xc0, 14, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
    expect(codeOf(() => decodeMessage(self))).toBe('bad-pointer');
  });

  it('refuses names over 255 bytes and unknown label types', () => {
    const q = emptyParsedQuery();
    const labels = Array.from({ length: 5 }, () => 'x'.repeat(63));
    const parts = [Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
    for (const l of labels) parts.push(Buffer.from([63]), Buffer.from(l));
    parts.push(Buffer.from([0, 0, 1, 0, 1]));
    expect(codeOf(() => parseQuery(Buffer.concat(parts), q))).toBe('name-too-long');
    expect(codeOf(() => parseQuery(Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1]), q))).toBe('bad-label');
    expect(codeOf(() => encodeName('a..b'))).toBe('bad-label');
  });

  it('follows a legal compression pointer in an answer', () => {
    const reply = encodeResponse({ id: 1, question: { name: 'www.google.com', type: 1 }, answers: [{ name: 'www.google.com', type: 1, ttl: 60, rdata: rdata.a('1.2.3.4') }] });
    // Hand-compress: owner of the answer becomes a pointer to offset 12.
    const qEnd = 12 + encodeName('www.google.com').length + 4;
    const compressed = Buffer.concat([reply.subarray(0, qEnd), Buffer.from([0xc0, 12]), reply.subarray(qEnd + encodeName('www.google.com').length)]);
    expect(decodeMessage(compressed).answers[0]).toMatchObject({ name: 'www.google.com', type: 1, data: '1.2.3.4' });
    expect(readName(compressed, qEnd).name).toBe('www.google.com');
  });
});

describe('local answers', () => {
  it('answers a blocked A with 0.0.0.0 and a blocked AAAA with ::, echoing the question case and EDNS', () => {
    const out = emptyParsedQuery();
    const query = digQuery('Ads.Example.com', RecordType.A);
    const a = decodeMessage(buildNullIpAnswer(query, parseQuery(query, out), 10));
    expect(a).toMatchObject({ id: 0x1234, rcode: 0, questions: [{ name: 'ads.example.com', type: 1 }] });
    expect(a.answers).toEqual([{ name: 'ads.example.com', type: 1, class: 1, ttl: 10, data: '0.0.0.0' }]);
    expect(a.additionals[0]).toMatchObject({ type: RecordType.OPT });
    const raw = buildNullIpAnswer(query, out, 10);
    expect(raw.subarray(12, 12 + 16).toString('latin1')).toContain('Ads');
    expect(raw[2]! & 0x80).toBe(0x80); // QR
    expect(raw[3]! & 0x80).toBe(0x80); // RA
    const aaaaQuery = digQuery('ads.example.com', RecordType.AAAA);
    const aaaa = decodeMessage(buildNullIpAnswer(aaaaQuery, parseQuery(aaaaQuery, out), 10));
    expect(aaaa.answers[0]).toMatchObject({ type: 28, data: '::' });
  });

  it('answers other types of a blocked name with NODATA, and NXDOMAIN when asked', () => {
    const out = emptyParsedQuery();
    const q = digQuery('ads.example.com', RecordType.HTTPS);
    const nodata = decodeMessage(buildNullIpAnswer(q, parseQuery(q, out), 10));
    expect(nodata.rcode).toBe(Rcode.noError);
    expect(nodata.answers).toEqual([]);
    expect(decodeMessage(buildNxdomain(q, out)).rcode).toBe(Rcode.nxDomain);
  });

  it('builds FORMERR with only the id when the body cannot be read', () => {
    const r = buildFormErr(Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 9, 0, 0, 0, 0, 0, 0, 0xff]));
    expect(decodeMessage(r)).toMatchObject({ id: 0xabcd, rcode: Rcode.formErr, questions: [] });
  });

  it('builds a SafeSearch CNAME chain followed by the target records the upstream gave', () => {
    const out = emptyParsedQuery();
    const query = digQuery('www.google.com', RecordType.HTTPS);
    parseQuery(query, out);
    const upstream = encodeResponse({
      id: 99,
      question: { name: 'forcesafesearch.google.com', type: RecordType.HTTPS },
      answers: [{ name: 'forcesafesearch.google.com', type: RecordType.HTTPS, ttl: 300, rdata: rdata.svcb(1, '.') }],
    });
    const answer = decodeMessage(buildCnameAnswer(query, out, 'forcesafesearch.google.com', 60, upstream));
    expect(answer.id).toBe(0x1234);
    expect(answer.answers.map((r) => [r.name, r.type])).toEqual([
      ['www.google.com', RecordType.CNAME],
      ['forcesafesearch.google.com', RecordType.HTTPS],
    ]);
    expect(answer.answers[0]!.data).toBe('forcesafesearch.google.com');
  });

  it('expands compressed names when copying upstream records', () => {
    const upstream = encodeResponse({
      id: 1,
      question: { name: 'restrict.youtube.com', type: 1 },
      answers: [
        { name: 'restrict.youtube.com', type: RecordType.CNAME, ttl: 30, rdata: rdata.name('edge.youtube.test') },
        { name: 'edge.youtube.test', type: 1, ttl: 30, rdata: rdata.a('10.0.0.9') },
      ],
    });
    const records = copyAnswerRecords(upstream);
    expect(records).toHaveLength(2);
    expect(records[0]!.includes(Buffer.from('edge', 'latin1'))).toBe(true);
  });

  it('truncates for UDP: header and question only, TC set', () => {
    const out = emptyParsedQuery();
    const query = buildQuery('big.test', RecordType.TXT, 5, false);
    parseQuery(query, out);
    const big = encodeResponse({ id: 5, question: { name: 'big.test', type: 16 }, answers: Array.from({ length: 10 }, () => ({ name: 'big.test', type: 16, ttl: 1, rdata: new Uint8Array(100) })) });
    const cut = decodeMessage(truncateForUdp(query, out, big));
    expect(cut).toMatchObject({ id: 5, truncated: true, answers: [], questions: [{ name: 'big.test', type: 16 }] });
  });

  it('matches replies to the question that was asked, case-insensitively', () => {
    const reply = encodeResponse({ id: 1, question: { name: 'WwW.Example.Test', type: 1 } });
    expect(replyMatchesQuestion(reply, 'www.example.test', 1, 1)).toBe(true);
    expect(replyMatchesQuestion(reply, 'www.example.test', 28, 1)).toBe(false);
    expect(replyMatchesQuestion(reply, 'ww.example.test', 1, 1)).toBe(false);
  });
});

describe('TTLs for caching', () => {
  it('takes the smallest answer TTL and ages every TTL field', () => {
    const reply = encodeResponse({
      id: 1,
      question: { name: 'a.test', type: 1 },
      answers: [
        { name: 'a.test', type: 1, ttl: 300, rdata: rdata.a('1.1.1.1') },
        { name: 'a.test', type: 1, ttl: 120, rdata: rdata.a('1.1.1.2') },
      ],
    });
    const facts = readCacheFacts(reply);
    expect(facts.ttlSeconds).toBe(120);
    ageTtls(reply, facts.ttlOffsets, 100);
    expect(decodeMessage(reply).answers.map((r) => r.ttl)).toEqual([200, 20]);
    ageTtls(reply, facts.ttlOffsets, 500);
    expect(decodeMessage(reply).answers.map((r) => r.ttl)).toEqual([0, 0]);
  });

  it('uses min(SOA TTL, SOA minimum) for NXDOMAIN and refuses SERVFAIL and truncated replies', () => {
    const nx = encodeResponse({ id: 1, rcode: 3, question: { name: 'no.test', type: 1 }, authorities: [{ name: 'test', type: RecordType.SOA, ttl: 900, rdata: rdata.soa('ns.test', 'admin.test', 1, 60) }] });
    expect(readCacheFacts(nx).ttlSeconds).toBe(60);
    expect(readCacheFacts(encodeResponse({ id: 1, rcode: 2, question: { name: 'x.test', type: 1 } })).ttlSeconds).toBe(0);
    expect(readCacheFacts(encodeResponse({ id: 1, truncated: true, question: { name: 'x.test', type: 1 } })).ttlSeconds).toBe(0);
  });
});

describe('fuzzing the reader', () => {
  const onlyWireErrors = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof DnsWireError)) throw err;
    }
  };

  it('random bytes never throw anything but DnsWireError', () => {
    const out = emptyParsedQuery();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        const buf = Buffer.from(bytes);
        onlyWireErrors(() => parseQuery(buf, out));
        onlyWireErrors(() => decodeMessage(buf));
        onlyWireErrors(() => copyAnswerRecords(buf));
        readCacheFacts(buf);
        if (buf.length >= 12) replyMatchesQuestion(buf, 'a.test', 1, 1);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid messages (pointers everywhere) never throw anything else and finish', () => {
    const seed = encodeResponse({
      id: 1,
      question: { name: 'www.example.test', type: 1 },
      answers: [{ name: 'www.example.test', type: 5, ttl: 5, rdata: rdata.name('cdn.example.test') }],
      authorities: [{ name: 'example.test', type: 6, ttl: 5, rdata: rdata.soa('ns.example.test', 'h.example.test', 1, 5) }],
    });
    const out = emptyParsedQuery();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0xc0), fc.constant(0xc0 | 0x3f))), { maxLength: 12 }), (edits) => {
        const buf = Buffer.from(seed);
        for (const [at, v] of edits) buf[at] = v;
        const asQuery = Buffer.from(buf);
        asQuery[2]! &= 0x7f;
        onlyWireErrors(() => parseQuery(asQuery, out));
        onlyWireErrors(() => decodeMessage(buf));
        onlyWireErrors(() => copyAnswerRecords(buf));
        readCacheFacts(buf);
      }),
      { numRuns: 3000 },
    );
  });
});
