// Errors the teacher can meet, carried with both languages so switching language re-renders them.
import type { ApiErrorBody } from '../../shared/api/contract.js';
import { bilingual } from '../../shared/i18n/index.js';

export type ConsoleErrorCode = ApiErrorBody['code'] | 'network' | 'unknown';

/** Text in both UI languages. */
export interface UserText {
  vi: string;
  en: string;
}

export class ConsoleError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    readonly text: UserText,
    readonly status?: number,
  ) {
    super(text.en || text.vi);
    this.name = 'ConsoleError';
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** A console error from an HTTP status and whatever body came with it. */
export function consoleErrorFromResponse(status: number, body: unknown): ConsoleError {
  if (isErrorBody(body)) {
    return new ConsoleError(body.code, { vi: body.message, en: body.messageEn ?? body.message }, status);
  }
  if (status === 401 || status === 403) return new ConsoleError('unauthorized', bilingual('ui.error.unauthorized'), status);
  return new ConsoleError('unknown', bilingual('ui.error.status', { status }), status);
}

export function networkError(): ConsoleError {
  return new ConsoleError('network', bilingual('ui.error.network'));
}

/** Whatever was thrown (HTTP error, IPC rejection, bug) as something a teacher can read. */
export function toConsoleError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (isErrorBody(error)) return new ConsoleError(error.code, { vi: error.message, en: error.messageEn ?? error.message });
  // The preload bridge may hang the body on the rejected Error.
  const body = typeof error === 'object' && error !== null ? (error as { body?: unknown }).body : undefined;
  if (isErrorBody(body)) return new ConsoleError(body.code, { vi: body.message, en: body.messageEn ?? body.message });
  const detail = error instanceof Error ? error.message : String(error);
  return new ConsoleError('unknown', bilingual('ui.error.unexpected', { detail }));
}
