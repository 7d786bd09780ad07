// A tiny authoritative DNS server for tests: answers A/AAAA/HTTPS/CNAME for a fixed zone over
// UDP and TCP on loopback, can force truncation (TC) over UDP, can stay silent, and logs queries.
import dgram from 'node:dgram';
import net from 'node:net';
import { RecordType, Rcode, decodeMessage, encodeResponse, rdata, type EncodableRecord } from '../../../src/agent/dns/wire.js';

export interface TestZoneEntry {
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  /** HTTPS records: priority + target ('.' = the owner itself). */
  HTTPS?: { priority: number; target: string }[];
  TXT?: string[];
  ttl?: number;
}

export type TestZone = Record<string, TestZoneEntry>;

export interface LoggedQuery {
  transport: 'udp' | 'tcp';
  id: number;
  name: string;
  type: number;
  port: number;
}

export interface TestUpstreamOptions {
  zone: TestZone;
  /** Answer UDP with TC set (no records) for these names (or all when true): the client must use TCP. */
  truncateUdp?: boolean | ((name: string) => boolean);
  /** Never answer (a dead upstream). */
  silent?: boolean;
  /** Before the real answer, send a reply with the same id but another question (a spoof). */
  spoofFirst?: boolean;
  /** Send UDP answers from another socket (wrong source port), as an off-path spoofer would. */
  answerFromOtherPort?: boolean;
  /** Loopback address and port to listen on (default 127.0.0.1, a free port). */
  host?: string;
  port?: number;
}

const zoneApex = 'test';

function recordsFor(zone: TestZone, name: string, type: number, out: EncodableRecord[], depth = 0): boolean {
  const entry = zone[name];
  if (!entry) return false;
  const ttl = entry.ttl ?? 300;
  if (entry.CNAME && type !== RecordType.CNAME) {
    out.push({ name, type: RecordType.CNAME, ttl, rdata: rdata.name(entry.CNAME) });
    if (depth < 8) recordsFor(zone, entry.CNAME, type, out, depth + 1);
    return true;
  }
  if (type === RecordType.A) for (const a of entry.A ?? []) out.push({ name, type, ttl, rdata: rdata.a(a) });
  if (type === RecordType.AAAA) for (const a of entry.AAAA ?? []) out.push({ name, type, ttl, rdata: rdata.aaaa(a) });
  if (type === RecordType.HTTPS) for (const h of entry.HTTPS ?? []) out.push({ name, type, ttl, rdata: rdata.svcb(h.priority, h.target, Uint8Array.from([0, 1, 0, 3, 2, 0x68, 0x32])) });
  if (type === RecordType.TXT) for (const t of entry.TXT ?? []) out.push({ name, type, ttl, rdata: Buffer.concat([Buffer.from([t.length]), Buffer.from(t)]) });
  return true;
}

export class TestUpstream {
  readonly queries: LoggedQuery[] = [];
  private udp!: dgram.Socket;
  private other: dgram.Socket | null = null;
  private tcp!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  private constructor(private readonly options: TestUpstreamOptions) {}

  static async start(options: TestUpstreamOptions): Promise<TestUpstream> {
    const s = new TestUpstream(options);
    await s.listen();
    return s;
  }

  answerFor(query: Buffer, transport: 'udp' | 'tcp'): Buffer | null {
    let m;
    try {
      m = decodeMessage(query);
    } catch {
      return null;
    }
    const q = m.questions[0];
    if (!q) return null;
    const name = q.name;
    this.queries.push({ transport, id: m.id, name, type: q.type, port: this.port });
    const truncate = this.options.truncateUdp;
    if (transport === 'udp' && (truncate === true || (typeof truncate === 'function' && truncate(name)))) {
      return encodeResponse({ id: m.id, truncated: true, question: { name, type: q.type } });
    }
    const answers: EncodableRecord[] = [];
    const known = recordsFor(this.options.zone, name, q.type, answers);
    const soa: EncodableRecord = { name: zoneApex, type: RecordType.SOA, ttl: 60, rdata: rdata.soa(`ns.${zoneApex}`, `admin.${zoneApex}`, 1, 30) };
    if (!known) return encodeResponse({ id: m.id, rcode: Rcode.nxDomain, question: { name, type: q.type }, authorities: [soa] });
    return encodeResponse({ id: m.id, question: { name, type: q.type }, answers, authorities: answers.length ? [] : [soa] });
  }

  private async listen(): Promise<void> {
    // Same port for UDP and TCP; retry when TCP finds it taken.
    const host = this.options.host ?? '127.0.0.1';
    for (let attempt = 0; attempt < 20; attempt++) {
      this.udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        this.udp.once('error', reject);
        this.udp.bind(this.options.port ?? 0, host, () => resolve());
      });
      this.port = this.udp.address().port;
      try {
        this.tcp = net.createServer((socket) => this.onTcp(socket));
        await new Promise<void>((resolve, reject) => {
          this.tcp.once('error', reject);
          this.tcp.listen(this.port, host, () => resolve());
        });
        break;
      } catch (err) {
        await new Promise<void>((resolve) => this.udp.close(() => resolve()));
        if (this.options.port) throw err;
      }
    }
    if (this.options.answerFromOtherPort) {
      const other = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', () => resolve()));
      this.other = other;
    }
    this.udp.on('message', (msg, rinfo) => {
      if (this.options.silent) return;
      const reply = this.answerFor(msg, 'udp');
      if (!reply) return;
      if (this.options.spoofFirst) {
        const spoof = encodeResponse({ id: reply.readUInt16BE(0), question: { name: 'evil.test', type: RecordType.A }, answers: [{ name: 'evil.test', type: 1, ttl: 999, rdata: rdata.a('6.6.6.6') }] });
        this.udp.send(spoof, rinfo.port, rinfo.address);
      }
      (this.other ?? this.udp).send(reply, rinfo.port, rinfo.address);
    });
  }

  private onTcp(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (this.options.silent) continue;
        const reply = this.answerFor(Buffer.from(msg), 'tcp');
        if (!reply) continue;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.other?.close();
    await Promise.all([new Promise<void>((r) => this.udp.close(() => r())), new Promise<void>((r) => this.tcp.close(() => r()))]);
  }
}
