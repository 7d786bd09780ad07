// The API as a ConsoleApiClient inside the console process: validates each call's input against
// its schema, runs the handler, and turns whatever went wrong into an ApiError with a readable
// message. The Electron shell forwards IPC calls here; the HTTP transport does the same.

import { apiMethods, type ApiInput, type ApiMethod, type ApiOutput, type ConsoleApiClient } from '../../shared/api/contract.js';
import { ApiError, toApiError } from './errors.js';
import type { EventBus } from './events.js';
import type { ApiHandlers, Caller } from './methods.js';

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(apiMethods, name);
}

/** Validates and runs one call; throws only ApiError. */
export async function callApi(handlers: ApiHandlers, method: string, input: unknown, caller: Caller, log?: (line: string) => void): Promise<unknown> {
  if (!isApiMethod(method)) throw new ApiError('not-found', 'errors.unknownMethod', { method: method.slice(0, 64) });
  const parsed = apiMethods[method].input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'input';
    throw new ApiError('bad-request', 'errors.badRequest', { detail: `${where}: ${issue?.message ?? 'invalid'}` });
  }
  try {
    const handler = handlers[method] as (input: unknown, caller: Caller) => Promise<unknown>;
    return await handler(parsed.data, caller);
  } catch (error) {
    const apiError = toApiError(error);
    if (apiError.code === 'internal') log?.(`api: ${method} failed: ${(error as Error)?.stack ?? String(error)}`);
    throw apiError;
  }
}

export interface InProcessClient extends ConsoleApiClient {
  /** The same client acting for another caller (audit log actor). */
  as(caller: Caller): ConsoleApiClient;
}

export function createInProcessClient(handlers: ApiHandlers, events: EventBus, caller: Caller, log?: (line: string) => void): InProcessClient {
  return {
    call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
      return callApi(handlers, method, input, caller, log) as Promise<ApiOutput<M>>;
    },
    onEvent(listener) {
      return events.on(listener);
    },
    as(other) {
      return createInProcessClient(handlers, events, other, log);
    },
  };
}
