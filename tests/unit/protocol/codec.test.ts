// The wire codec turns every bad control message into a coded ProtocolError, never a crash.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeAgentMessage, decodeConsoleMessage, encodeMessage } from '../../../src/shared/protocol/codec.js';
import { ProtocolError } from '../../../src/shared/protocol/errors.js';
import { maxControlMessageBytes, protocolVersion } from '../../../src/shared/protocol/limits.js';
import type { AgentMessage, ConsoleMessage } from '../../../src/shared/protocol/messages.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'no error';
}

const hello: AgentMessage = {
  type: 'hello',
  identity: { hostname: 'PC-01', os: { platform: 'win32', release: '10.0.19045' }, agentVersion: '0.1.0', desktop: 'simulated' },
  session: { user: 'hs01', screens: [{ id: 0, name: 'primary', x: 0, y: 0, width: 1366, height: 768, primary: true }] },
  state: { locked: false, lessonActive: false },
  capabilities: ['screen-lock', 'thumbnails'],
};

describe('control message codec', () => {
  it('round-trips every kind of agent message', () => {
    const messages: AgentMessage[] = [
      { type: 'enrol', protocol: protocolVersion, publicKey: 'AAAA', nonce: 'bm9uY2U=', proof: 'cHJvb2Y=', hostname: 'PC-01' },
      { type: 'auth', protocol: protocolVersion, machineId: 'm-0123456789abcdef01234567', signature: 'c2ln' },
      hello,
      { type: 'ack', id: 'c1', ok: true, state: { locked: true, lockMessage: 'Chú ý lên bảng', lessonActive: true } },
      { type: 'ack', id: 'c2', ok: false, error: { code: 'command-failed', message: 'no display' }, state: { locked: false, lessonActive: false } },
      { type: 'session', session: { user: null, screens: [] } },
      { type: 'thumbnailError', requestId: 7, error: { code: 'busy', message: 'capture in flight' } },
      { type: 'error', error: { code: 'message-invalid', message: 'x' } },
    ];
    for (const m of messages) expect(decodeAgentMessage(encodeMessage(m))).toEqual(m);
  });

  it('round-trips every kind of console message', () => {
    const messages: ConsoleMessage[] = [
      { type: 'challenge', protocol: protocolVersion, nonce: 'bm9uY2U=', consoleTime: 1 },
      { type: 'enrolled', machineId: 'm-0123456789abcdef01234567', proof: 'cHJvb2Y=' },
      { type: 'welcome', machineId: 'm-0123456789abcdef01234567', lesson: { active: true, className: '7A', language: 'vi' } },
      { type: 'command', id: 'c1', command: { name: 'lock', message: 'Khoá máy để nghe giảng' } },
      { type: 'command', id: 'c2', command: { name: 'setLesson', lesson: { active: false, language: 'en' } } },
      { type: 'thumbnail', requestId: 42, width: 320, quality: 60, screen: 'all' },
    ];
    for (const m of messages) expect(decodeConsoleMessage(encodeMessage(m))).toEqual(m);
  });

  it('names what is wrong with a malformed message', () => {
    expect(codeOf(() => decodeAgentMessage('{not json'))).toBe('message-malformed');
    expect(codeOf(() => decodeAgentMessage('[1,2]'))).toBe('message-malformed');
    expect(codeOf(() => decodeAgentMessage('null'))).toBe('message-malformed');
    expect(codeOf(() => decodeAgentMessage('{"type":"format-disk"}'))).toBe('message-unknown-type');
    expect(codeOf(() => decodeAgentMessage('{"type":"ack","id":"x"}'))).toBe('message-invalid');
    expect(codeOf(() => decodeAgentMessage('{"type":"auth","protocol":99,"machineId":"m-0123456789","signature":"x"}'))).toBe('message-invalid');
    // A console message type is unknown when an agent sends it.
    expect(codeOf(() => decodeAgentMessage('{"type":"command","id":"1","command":{"name":"unlock"}}'))).toBe('message-unknown-type');
  });

  it('refuses an oversized message before parsing it', () => {
    const big = JSON.stringify({ type: 'error', error: { code: 'x', message: 'a'.repeat(maxControlMessageBytes) } });
    expect(codeOf(() => decodeAgentMessage(big))).toBe('message-too-large');
  });

  it('refuses a lock message longer than a teacher may send', () => {
    const long = encodeMessage({ type: 'command', id: 'c', command: { name: 'lock', message: 'x'.repeat(501) } } as ConsoleMessage);
    expect(codeOf(() => decodeConsoleMessage(long))).toBe('message-invalid');
  });

  it('never throws anything but ProtocolError on arbitrary input (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ type: 'hello', ...(typeof v === 'object' && v ? v : {}) }))), (text) => {
        for (const decode of [decodeAgentMessage, decodeConsoleMessage]) {
          try {
            decode(text);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
