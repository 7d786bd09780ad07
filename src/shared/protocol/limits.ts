// Explicit limits of the agent wire, shared by console and agent (like ws's maxPayload).

/** Protocol version spoken by this build; both ends refuse other versions. */
export const protocolVersion = 1;

/** Largest JSON control message accepted from either end. */
export const maxControlMessageBytes = 512 * 1024;

/** Largest binary frame (header + JPEG) accepted from an agent. A 1920 px JPEG at q80 fits. */
export const maxFrameBytes = 1024 * 1024;

/** Websocket payload limit handed to `ws` on both ends (frames are the largest messages). */
export const maxWebSocketPayloadBytes = maxFrameBytes;

/** Widest thumbnail an agent will encode, whatever the console asks. */
export const maxThumbnailWidthPx = 1920;

/** Default thumbnail width for the lab grid. */
export const defaultThumbnailWidthPx = 320;

/** Default JPEG quality for grid thumbnails (1..100). */
export const defaultThumbnailQuality = 60;

/** Heartbeat: the console pings every agent this often; two missed pongs close the socket. */
export const heartbeatIntervalMs = 15_000;

/** Agent reconnect backoff: first delay, cap, and jitter fraction. */
export const reconnectInitialDelayMs = 500;
export const reconnectMaxDelayMs = 30_000;
export const reconnectJitterRatio = 0.3;

/** How long the agent has to finish the handshake (enrol or auth) before the console hangs up. */
export const handshakeTimeoutMs = 10_000;

/** How long the console waits for a command acknowledgement before calling it failed. */
export const commandTimeoutMs = 5_000;

/** Longest lock / chat message text a teacher may send. */
export const maxMessageTextChars = 500;

/** Largest compiled filter list the console may push (1 M domains compile to about 10 MB). */
export const maxFilterListBytes = 64 * 1024 * 1024;

/** Most blocked attempts in one report an agent sends. */
export const maxBlockedAttemptsPerReport = 100;
