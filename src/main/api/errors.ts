// API errors as values: a code the transports map to a status, and a message a teacher can read
// in Vietnamese with the English beside it.

import type { ApiErrorBody } from '../../shared/api/contract.js';
import { bilingual } from '../../shared/i18n/index.js';

export type ApiErrorCode = ApiErrorBody['code'];

export const httpStatusOf: Record<ApiErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  'not-found': 404,
  conflict: 409,
  internal: 500,
};

export class ApiError extends Error {
  readonly body: ApiErrorBody;

  constructor(code: ApiErrorCode, key: string, params?: Record<string, string | number>) {
    const text = bilingual(key, params);
    super(text.vi);
    this.name = 'ApiError';
    this.body = { code, message: text.vi, messageEn: text.en };
  }

  get code(): ApiErrorCode {
    return this.body.code;
  }
}

/** Anything thrown inside a handler, as an ApiError (unknown errors become 'internal'). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ApiError('internal', 'errors.internal', { detail: detail.slice(0, 300) });
}
