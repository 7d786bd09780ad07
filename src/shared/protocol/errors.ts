// Protocol errors as values with stable codes (like ws's error codes), shared by both ends.

export type ProtocolErrorCode =
  | 'message-too-large'
  | 'message-malformed'
  | 'message-unknown-type'
  | 'message-invalid'
  | 'frame-too-large'
  | 'frame-malformed'
  | 'frame-unexpected'
  | 'protocol-version'
  | 'not-enrolled'
  | 'enrolment-rejected'
  | 'enrolment-rate-limited'
  | 'auth-failed'
  | 'handshake-timeout'
  | 'revoked'
  | 'certificate-mismatch'
  | 'command-unsupported'
  | 'command-failed'
  | 'capture-failed'
  | 'busy';

/**
 * A lock command's failure when the desktop could not put the lock up (the X server gone, a session
 * that does not answer): the agent sends it, the console UI translates it.
 */
export const lockNotShownCode = 'lock-not-shown';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** Websocket close codes (4000-4999 are free for applications). */
export const closeCodes = {
  /** Protocol violation the peer should not retry unchanged. */
  protocolError: 4000,
  /** Authentication or enrolment failed; the agent should stop retrying until re-enrolled. */
  authFailed: 4001,
  /** The machine was removed on the console; its key is revoked. */
  revoked: 4002,
  /** Handshake took too long. */
  handshakeTimeout: 4003,
  /** A newer connection of the same machine replaced this one. */
  replaced: 4004,
  /** Enrolment finished; the agent reconnects and authenticates. */
  enrolled: 4005,
  /** Too many enrolment attempts from this address. */
  rateLimited: 4006,
  /** The console is shutting down; reconnect with backoff. */
  goingAway: 1001,
} as const;
