// The main-process half of the preload bridge: which IPC calls are answered, and how.
//
// Plain Node (no electron import) so every rule here is unit-tested without Electron; main.ts
// only hands it the facts Electron gives about each call.

import { apiMethods, type ApiErrorBody, type ApiEvent, type ApiMethod, type ConsoleApiClient } from '../../shared/api/contract.js';
import { bilingual } from '../../shared/i18n/index.js';
import { appHost, appScheme } from './app-protocol.js';

/** Renderer → main: `invoke(callChannel, method, input)`, answered with a `BridgeReply`. */
export const callChannel = 'safelab:call';
/** Main → renderer: one `ApiEvent` per message. */
export const eventChannel = 'safelab:event';

/**
 * What a call returns over IPC. Errors travel as data, not as a rejection: Electron keeps only
 * the message of an Error thrown in a handler (and the context bridge drops custom properties),
 * so the error code would be lost.
 */
export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

/** True only for a method of the API table; `constructor`, `__proto__` and friends are not. */
export function isApiMethodName(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(apiMethods, value);
}

/** What Electron tells about the sender of an IPC message. */
export interface SenderFacts {
  /** `event.sender.id`. */
  webContentsId: number;
  /** `event.senderFrame?.url`; undefined when the frame is already gone. */
  frameUrl: string | undefined;
  /** `event.senderFrame.parent === null`: the top frame, not an iframe inside it. */
  isMainFrame: boolean;
}

/** Calls are answered only from the top frame of our own window, showing our own pages. */
export function isTrustedSender(sender: SenderFacts, windowWebContentsId: number | undefined): boolean {
  if (windowWebContentsId === undefined || sender.webContentsId !== windowWebContentsId) return false;
  if (!sender.isMainFrame || sender.frameUrl === undefined) return false;
  let url: URL;
  try {
    url = new URL(sender.frameUrl);
  } catch {
    return false;
  }
  // Node gives custom schemes an opaque origin ("null"), so compare scheme and host.
  return url.protocol === `${appScheme}:` && url.host === appHost;
}

const errorCodes: ReadonlySet<ApiErrorBody['code']> = new Set(['bad-request', 'not-found', 'unauthorized', 'conflict', 'internal']);

function asErrorBody(value: unknown): ApiErrorBody | null {
  if (typeof value !== 'object' || value === null) return null;
  const { code, message, messageEn } = value as Partial<Record<keyof ApiErrorBody, unknown>>;
  if (typeof code !== 'string' || !errorCodes.has(code as ApiErrorBody['code']) || typeof message !== 'string') return null;
  return { code: code as ApiErrorBody['code'], message, ...(typeof messageEn === 'string' ? { messageEn } : {}) };
}

/**
 * The error body for whatever the console core threw: its own error (which carries an
 * ApiErrorBody itself or under `body`) passes through; anything else is an internal error.
 */
export function toApiErrorBody(error: unknown): ApiErrorBody {
  // `body` first: the console's ApiError also has a code and a message, but only its body has both languages.
  const own = asErrorBody((error as { body?: unknown } | null)?.body) ?? asErrorBody(error);
  if (own) return own;
  const detail = error instanceof Error ? error.message : String(error);
  const text = bilingual('errors.internal', { detail });
  return { code: 'internal', message: text.vi, messageEn: text.en };
}

/** Answers one `safelab:call` from a trusted sender; never throws. */
export async function answerCall(api: ConsoleApiClient, method: unknown, input: unknown): Promise<BridgeReply> {
  if (!isApiMethodName(method)) {
    const text = bilingual('errors.unknownMethod', { method: String(method).slice(0, 80) });
    return { ok: false, error: { code: 'bad-request', message: text.vi, messageEn: text.en } };
  }
  try {
    // The console core validates `input` against the method's schema; the bridge only routes.
    const value: unknown = await api.call(method, input as never);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toApiErrorBody(error) };
  }
}

/** The refusal sent to a sender that is not our window. */
export function untrustedSenderReply(): BridgeReply {
  const text = bilingual('shell.untrustedSender');
  return { ok: false, error: { code: 'unauthorized', message: text.vi, messageEn: text.en } };
}

/** Where events go: the window's webContents, when it still exists. */
export interface EventTarget {
  send(channel: string, event: ApiEvent): void;
  isDestroyed(): boolean;
}

/** Forwards every API event to the current window; returns the unsubscribe function. */
export function forwardEvents(api: ConsoleApiClient, target: () => EventTarget | null): () => void {
  return api.onEvent((event) => {
    const contents = target();
    if (contents && !contents.isDestroyed()) contents.send(eventChannel, event);
  });
}
