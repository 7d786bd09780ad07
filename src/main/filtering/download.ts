// Downloads one list over HTTP(S) with a time limit, a size limit and conditional requests.

import type { ListSourceError } from '../../shared/filtering/list-sources.js';

/** Whole download (connect + body) must finish within this. */
export const defaultDownloadTimeoutMs = 120_000;
/** Largest list accepted (UT1's adult tarball is ~25 MB compressed; plain lists are smaller). */
export const defaultMaxDownloadBytes = 256 * 1024 * 1024;

const errorKeys: Record<ListSourceError['code'], string> = {
  timeout: 'filtering.download.timeout',
  'too-large': 'filtering.download.tooLarge',
  'http-status': 'filtering.download.httpStatus',
  network: 'filtering.download.network',
  'not-a-list': 'filtering.download.notAList',
  'bad-archive': 'filtering.download.badArchive',
};

export class DownloadError extends Error {
  readonly code: ListSourceError['code'];
  constructor(code: ListSourceError['code'], detail: string) {
    super(detail);
    this.name = 'DownloadError';
    this.code = code;
  }

  toStatusError(): ListSourceError {
    return { code: this.code, messageKey: errorKeys[this.code], detail: this.message };
  }
}

export interface DownloadOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /** Validators of the copy we have, for a 304 answer when nothing changed. */
  etag?: string;
  lastModified?: string;
  fetch?: typeof fetch;
}

export type DownloadResult =
  | { status: 'fetched'; bytes: Uint8Array; etag?: string; lastModified?: string }
  | { status: 'not-modified' };

export async function downloadList(url: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const timeoutMs = options.timeoutMs ?? defaultDownloadTimeoutMs;
  const maxBytes = options.maxBytes ?? defaultMaxDownloadBytes;
  const fetchImpl = options.fetch ?? fetch;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const headers: Record<string, string> = { 'user-agent': 'SafeLab list updater' };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, headers, redirect: 'follow' });
    } catch (error) {
      if (timedOut) throw new DownloadError('timeout', `no answer from ${url} within ${timeoutMs} ms`);
      throw new DownloadError('network', `${url}: ${(error as Error).message}`);
    }
    if (response.status === 304) return { status: 'not-modified' };
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError('http-status', String(response.status));
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError('too-large', `${url} is ${declared} bytes, limit ${maxBytes}`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.byteLength;
          if (total > maxBytes) {
            controller.abort();
            throw new DownloadError('too-large', `${url} is larger than ${maxBytes} bytes`);
          }
          chunks.push(value);
        }
      } catch (error) {
        if (error instanceof DownloadError) throw error;
        if (timedOut) throw new DownloadError('timeout', `${url} did not finish within ${timeoutMs} ms`);
        throw new DownloadError('network', `${url}: ${(error as Error).message}`);
      }
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    const result: DownloadResult = { status: 'fetched', bytes };
    const etag = response.headers.get('etag');
    const lastModified = response.headers.get('last-modified');
    if (etag) result.etag = etag;
    if (lastModified) result.lastModified = lastModified;
    return result;
  } finally {
    clearTimeout(timer);
  }
}
