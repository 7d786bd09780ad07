// Minimal raw DNS clients for tests: one UDP datagram or TCP frames, every wait bounded.
import dgram from 'node:dgram';
import net from 'node:net';

/** Sends one datagram and resolves with the first reply, or null after `timeoutMs`. */
export function udpExchange(host: string, port: number, query: Uint8Array, timeoutMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(null), timeoutMs);
    let done = false;
    function finish(reply: Buffer | null): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    }
    socket.on('message', (msg) => finish(msg));
    socket.on('error', () => finish(null));
    socket.send(query, port, host);
  });
}

/**
 * Opens a TCP connection, writes `chunks` (raw bytes, framing is the caller's), and collects
 * `expectReplies` framed replies; resolves early with what arrived when the server closes or the
 * time is up.
 */
export function tcpExchange(
  host: string,
  port: number,
  chunks: Uint8Array[],
  expectReplies: number,
  timeoutMs = 2000,
  gapMs = 0,
): Promise<{ replies: Buffer[]; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let closedByServer = false;
    let done = false;
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => finish(), timeoutMs);
    function finish(): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closedByServer });
    }
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        replies.push(Buffer.from(buf.subarray(2, 2 + len)));
        buf = buf.subarray(2 + len);
      }
      if (replies.length >= expectReplies) finish();
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => finish());
  });
}

/** Prefixes a DNS message with its 2-byte TCP length. */
export function framed(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}
