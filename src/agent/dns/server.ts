// DNS listeners of the agent's filter: UDP (udp4 + udp6) and TCP (2-byte length framing) on
// loopback. Transport only: every query goes to a `QueryAnswerer` (the filter), whose answer is
// sent back. A bad packet is answered FORMERR or dropped, never a crash; everything is bounded.

import dgram from 'node:dgram';
import net from 'node:net';
import type { AgentLog } from '../log.js';
import { dnsHeaderBytes } from './wire.js';

export interface DnsListenAddress {
  host: string;
  /** 0 = pick a free port (tests); every address then shares the port the first one got. */
  port: number;
}

/** Where the filter listens unless configured: loopback only, IPv4 and IPv6. */
export const defaultListenAddresses: readonly DnsListenAddress[] = [
  { host: '127.0.0.1', port: 53 },
  { host: '::1', port: 53 },
];

/** TCP clients connected at once; further connections are closed at once. */
export const maxTcpConnections = 64;
/** A TCP connection with nothing to say for this long is closed (RFC 7766 suggests seconds). */
export const tcpIdleTimeoutMs = 10_000;
/** Queries answered at once on one TCP connection (pipelining); reading pauses beyond it. */
export const maxTcpQueriesInFlightPerConnection = 16;
/** Attempts to find a port free for both UDP and TCP when asked for port 0. */
export const maxFreePortAttempts = 20;

/** How the filter answers: synchronously for local answers, a promise when upstream is asked. */
export interface QueryAnswerer {
  /** `null` = send nothing (unparseable, or a response rather than a query). */
  answer(query: Buffer, transport: 'udp' | 'tcp'): Buffer | null | Promise<Buffer | null>;
}

export type DnsServerErrorCode = 'listen-failed' | 'already-started';

export class DnsServerError extends Error {
  readonly code: DnsServerErrorCode;
  constructor(code: DnsServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DnsServerError';
    this.code = code;
  }
}

export interface DnsServerOptions {
  listen?: readonly DnsListenAddress[];
  answerer: QueryAnswerer;
  log?: AgentLog;
  /** Overrides of the named limits (tests use short ones). */
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
}

interface Listener {
  host: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
}

/** Errors that mean "this machine has no IPv6 loopback": skip that address rather than fail. */
const unavailableAddressCodes = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'EINVAL']);

export class DnsServer {
  private readonly listenAddresses: readonly DnsListenAddress[];
  private readonly answerer: QueryAnswerer;
  private readonly log: AgentLog;
  private readonly tcpIdleTimeoutMs: number;
  private readonly maxTcpConnections: number;
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<net.Socket>();
  private started = false;
  /** Counters for status and benchmarks. */
  readonly stats = { udpQueries: 0, tcpQueries: 0, dropped: 0, tcpRefused: 0, answerErrors: 0 };

  constructor(options: DnsServerOptions) {
    this.listenAddresses = options.listen ?? defaultListenAddresses;
    this.answerer = options.answerer;
    this.log = options.log ?? (() => {});
    this.tcpIdleTimeoutMs = options.tcpIdleTimeoutMs ?? tcpIdleTimeoutMs;
    this.maxTcpConnections = options.maxTcpConnections ?? maxTcpConnections;
  }

  /** TCP connections open now. */
  get openTcpConnections(): number {
    return this.connections.size;
  }

  /** Addresses actually bound (port resolved when 0 was asked). */
  addresses(): DnsListenAddress[] {
    return this.listeners.map((l) => ({ host: l.host, port: l.port }));
  }

  /**
   * Binds every address (UDP and TCP on the same port). An IPv6 address the machine lacks is
   * skipped with a log line; any other failure closes what was bound and throws 'listen-failed'.
   */
  async start(): Promise<DnsListenAddress[]> {
    if (this.started) throw new DnsServerError('already-started', 'DNS server already started');
    this.started = true;
    let sharedPort = 0;
    try {
      for (const address of this.listenAddresses) {
        const port = address.port === 0 && sharedPort !== 0 ? sharedPort : address.port;
        try {
          const listener = await this.bindBoth(address.host, port);
          this.listeners.push(listener);
          if (sharedPort === 0) sharedPort = listener.port;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? '';
          if (net.isIPv6(address.host) && unavailableAddressCodes.has(code)) {
            this.log('dns-listen-skipped', { host: address.host, port, reason: code });
            continue;
          }
          throw new DnsServerError('listen-failed', `cannot listen for DNS on ${address.host}:${port} (${code || String(err)})`, { cause: err });
        }
      }
      if (this.listeners.length === 0) throw new DnsServerError('listen-failed', 'no DNS listen address could be bound');
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.log('dns-listening', { addresses: this.addresses().map((a) => `${a.host}#${a.port}`).join(',') });
    return this.addresses();
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    const closing = this.listeners.splice(0).map(
      (l) =>
        new Promise<void>((resolve) => {
          let left = 2;
          const done = (): void => {
            if (--left === 0) resolve();
          };
          try {
            l.udp.close(done);
          } catch {
            done();
          }
          l.tcp.close(() => done());
        }),
    );
    await Promise.all(closing);
    this.started = false;
  }

  private async bindBoth(host: string, port: number): Promise<Listener> {
    // Port 0: the OS picks a UDP port; TCP must then get the same one, which may be taken.
    const attempts = port === 0 ? maxFreePortAttempts : 1;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const udp = await this.bindUdp(host, port);
      const udpPort = udp.address().port;
      try {
        const tcp = await this.bindTcp(host, udpPort);
        return { host, port: udpPort, udp, tcp };
      } catch (err) {
        lastError = err;
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port !== 0) throw err;
      }
    }
    throw lastError;
  }

  private bindUdp(host: string, port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(host) });
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.log('dns-udp-error', { host, message: err.message }));
        socket.on('message', (msg, rinfo) => this.onUdp(socket, msg, rinfo));
        resolve(socket);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.onTcpConnection(socket));
      server.once('error', reject);
      server.listen({ host, port, exclusive: true, ipv6Only: net.isIPv6(host) }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log('dns-tcp-error', { host, message: err.message }));
        resolve(server);
      });
    });
  }

  private onUdp(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.udpQueries++;
    let result: Buffer | null | Promise<Buffer | null>;
    try {
      result = this.answerer.answer(msg, 'udp');
    } catch (err) {
      this.answerFailed(err);
      return;
    }
    if (result === null) {
      this.stats.dropped++;
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (reply) => {
          if (reply) socket.send(reply, rinfo.port, rinfo.address);
          else this.stats.dropped++;
        },
        (err: unknown) => this.answerFailed(err),
      );
      return;
    }
    socket.send(result, rinfo.port, rinfo.address);
  }

  private answerFailed(err: unknown): void {
    // The answerer turns every expected failure into a DNS answer; reaching here is a bug.
    this.stats.answerErrors++;
    this.log('dns-answer-failed', { message: err instanceof Error ? err.message : String(err) });
  }

  private onTcpConnection(socket: net.Socket): void {
    if (this.connections.size >= this.maxTcpConnections) {
      this.stats.tcpRefused++;
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    let pending: Buffer | null = null;
    let inFlight = 0;
    const write = (reply: Buffer): void => {
      if (socket.destroyed) return;
      const prefix = Buffer.allocUnsafe(2);
      prefix.writeUInt16BE(reply.length, 0);
      socket.cork();
      socket.write(prefix);
      socket.write(reply);
      socket.uncork();
    };
    const settled = (): void => {
      inFlight--;
      if (socket.isPaused() && inFlight < maxTcpQueriesInFlightPerConnection) socket.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      // Each pass consumes one frame; the buffer shrinks every time, so the loop ends.
      while (data.length >= 2) {
        const len = data.readUInt16BE(0);
        if (len < dnsHeaderBytes) {
          socket.destroy();
          return;
        }
        if (data.length < 2 + len) break;
        const frame = data.subarray(2, 2 + len);
        data = data.subarray(2 + len);
        this.stats.tcpQueries++;
        let result: Buffer | null | Promise<Buffer | null>;
        try {
          result = this.answerer.answer(frame, 'tcp');
        } catch (err) {
          this.answerFailed(err);
          continue;
        }
        if (result === null) {
          this.stats.dropped++;
          continue;
        }
        if (result instanceof Promise) {
          inFlight++;
          result.then(
            (reply) => {
              if (reply) write(reply);
              settled();
            },
            (err: unknown) => {
              this.answerFailed(err);
              settled();
            },
          );
        } else {
          write(result);
        }
      }
      if (data.length > 0) pending = Buffer.from(data);
      if (inFlight >= maxTcpQueriesInFlightPerConnection) socket.pause();
    });
  }
}
