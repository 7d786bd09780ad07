// The agent's dead-console watchdog over a real TLS websocket: a console that keeps pinging is
// kept, one that goes silent (hung, or its cable pulled) is dropped and dialled again. The agent's
// connection runs in this process with a short silence limit; the real limit is pinned against
// the console's heartbeat below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/agent/backoff.js';
import type { AgentConfig } from '../../../src/agent/config.js';
import { consoleSilenceLimitMs, ConsoleConnection, type ConnectionHandlers } from '../../../src/agent/connection.js';
import { generateAgentKeyPair, machineIdFromPublicKey } from '../../../src/shared/auth/enrolment.js';
import { heartbeatIntervalMs } from '../../../src/shared/protocol/limits.js';
import { makeCertificate, TestConsole, waitFor, type AgentSocket } from './test-console.js';

/** Short enough for a test, several ping periods long so a healthy link never trips it. */
const silenceLimitMs = 800;
const pingEveryMs = 150;

let console_: TestConsole;
let connection: ConsoleConnection;
const logs: string[] = [];
const authenticated: number[] = [];
let disconnects = 0;

beforeAll(async () => {
  console_ = new TestConsole({ certificate: await makeCertificate() });
  await console_.listen();
  const keys = await generateAgentKeyPair();
  const machineId = await machineIdFromPublicKey(keys.publicKey);
  console_.machines.set(machineId, keys.publicKey);
  const config: AgentConfig = {
    format: 'safelab-agent',
    version: 1,
    machineId,
    consoleUrl: console_.url,
    consoleFingerprint: console_.fingerprint,
    publicKey: keys.publicKey,
    enrolledAt: Date.now(),
  };
  const handlers: ConnectionHandlers = {
    onAuthenticated: () => authenticated.push(Date.now()),
    onMessage: () => undefined,
    onDisconnected: () => disconnects++,
  };
  connection = new ConsoleConnection({
    config,
    privateKey: keys.privateKey,
    handlers,
    log: (event) => logs.push(event),
    backoff: new Backoff({ initialDelayMs: 50, maxDelayMs: 200, jitterRatio: 0 }),
    silenceLimitMs,
  });
  connection.start();
});

afterAll(async () => {
  await connection?.stop();
  await console_?.close();
});

let lastPingAt = 0;
function ping(socket: AgentSocket): void {
  if (socket.ws.readyState !== socket.ws.OPEN) return;
  socket.ws.ping();
  lastPingAt = Date.now();
}

describe('dead-console watchdog', { timeout: 20_000 }, () => {
  it('keeps a console that answers with heartbeats, well past the silence limit', async () => {
    const first = await waitFor(() => console_.live, 'the agent to authenticate');
    const timer = setInterval(() => ping(first), pingEveryMs);
    try {
      await new Promise((r) => setTimeout(r, 3 * silenceLimitMs));
    } finally {
      clearInterval(timer);
    }
    expect(logs).not.toContain('console-silent');
    expect(console_.live).toBe(first);
    expect(first.closed).toBe(false);
    expect(authenticated).toHaveLength(1);
  });

  it('drops a console that goes silent and dials it again', async () => {
    const silent = console_.live!;
    // The console stops pinging and stops reading what the agent sends.
    silent.ws.pause();
    await waitFor(() => logs.includes('console-silent') || undefined, 'the watchdog to fire', 5000);
    // Not before the limit, counted from the last sign of life.
    expect(Date.now() - lastPingAt).toBeGreaterThanOrEqual(silenceLimitMs - 20);
    await waitFor(() => (authenticated.length === 2 ? true : undefined), 'a new connection', 5000);
    const fresh = console_.live!;
    expect(fresh).not.toBe(silent);
    expect(disconnects).toBe(1);
    expect(logs.filter((e) => e === 'reconnecting').length).toBeGreaterThanOrEqual(1);
  });
});

describe('the real silence limit', () => {
  it('outlasts two missed console heartbeats, so a healthy but busy console is never dropped', () => {
    expect(consoleSilenceLimitMs).toBeGreaterThan(2 * heartbeatIntervalMs);
  });
});
