// The web-mode API's access token checks: only the exact token passes, compared in constant time
// (both sides hashed to equal lengths, so a wrong length neither throws nor answers faster), and
// found only where the console looks for it (the bearer header, the event socket's subprotocol).
import { describe, expect, it } from 'vitest';
import { bearerToken, protocolToken, tokenMatches } from '../../../src/main/api/http-server.js';

const token = 'k3Q9x_7VbT2m-0sLrY8aPq4wZ1cE6nHj5uGfD2oXiA';

describe('the access token', () => {
  it('matches only itself', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(0, -1) + 'B', token)).toBe(false);
    expect(tokenMatches(token.toUpperCase(), token)).toBe(false);
  });

  it('compares guesses of any length without throwing (timingSafeEqual alone would on unequal lengths)', () => {
    for (const guess of ['x', token.slice(0, 10), token + 'x', 'y'.repeat(10_000), token + '\u0000']) {
      expect(tokenMatches(guess, token)).toBe(false);
    }
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(null, token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
  });

  it('is read from "Bearer <token>" only', () => {
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`bearer ${token}`)).toBe(token);
    expect(bearerToken(token)).toBeNull();
    expect(bearerToken(`Basic ${token}`)).toBeNull();
    expect(bearerToken(`Bearer ${token} extra`)).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('is read from the safelab.<token> subprotocol among others', () => {
    expect(protocolToken(`chat, safelab.${token}`)).toBe(token);
    expect(protocolToken('chat, superchat')).toBeNull();
    expect(protocolToken(undefined)).toBeNull();
  });
});
