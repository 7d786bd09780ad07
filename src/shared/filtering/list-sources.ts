// Where the console gets its lists, and what the UI shows about each: one schema for store, API and UI.

import { z } from 'zod';
import { categoryNamePattern } from './blob-format.js';

/** Source ids name cache files, so they are restricted to safe file-name characters. */
export const listSourceIdPattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Where UT1 publishes one category as a tarball (<category>/domains, urls, expressions). */
export function ut1CategoryUrl(category: string): string {
  return `https://dsi.ut-capitole.fr/blacklists/download/${category}.tar.gz`;
}

const id = z.string().regex(listSourceIdPattern);
const categoryName = z.string().regex(categoryNamePattern);
const kind = z.enum(['block', 'allow']);
const textFormat = z.enum(['auto', 'domains', 'hosts', 'adblock']);
const httpUrl = z.string().max(2048).regex(/^https?:\/\//i, 'http(s) URL');

export const listSourceSchema = z.discriminatedUnion('type', [
  /** One UT1 category, downloaded from UT1 (or `url`, e.g. a school mirror). */
  z.object({ type: z.literal('ut1-category'), id, category: categoryName, url: httpUrl.optional() }),
  /** An unpacked UT1 folder on disk (<folder>/<category>/domains …); all categories unless listed. */
  z.object({ type: z.literal('ut1-folder'), id, path: z.string().min(1), categories: z.array(categoryName).optional() }),
  /** A UT1 tarball on disk (one category or the whole blacklists.tar.gz). */
  z.object({ type: z.literal('ut1-tarball'), id, path: z.string().min(1), categories: z.array(categoryName).optional() }),
  /** Any list on the web (plain domains, hosts file or adblock style). */
  z.object({ type: z.literal('url'), id, url: httpUrl, category: categoryName, kind: kind.default('block'), format: textFormat.default('auto') }),
  /** A list file on the console PC. */
  z.object({ type: z.literal('file'), id, path: z.string().min(1), category: categoryName, kind: kind.default('block'), format: textFormat.default('auto') }),
]);
export type ListSource = z.infer<typeof listSourceSchema>;
export type ListSourceInput = z.input<typeof listSourceSchema>;

/**
 * never-downloaded: a web list with no copy yet (its categories are not filtered; the UI says so);
 * fresh / stale: a downloaded copy younger / older than the staleness limit;
 * last-good: the latest download failed and the previous copy is in use;
 * local / local-missing: a file or folder on the console PC, present or not.
 */
export type ListSourceState = 'never-downloaded' | 'fresh' | 'stale' | 'last-good' | 'local' | 'local-missing';

export interface ListSourceError {
  code: 'timeout' | 'too-large' | 'http-status' | 'network' | 'not-a-list' | 'bad-archive';
  /** i18n key for the teacher-facing text (`filtering.download.*`). */
  messageKey: string;
  detail: string;
}

export interface ListSourceStatus {
  id: string;
  type: ListSource['type'];
  /** What to show: the URL or the path. */
  label: string;
  /** Downloaded from someone else's server (UT1, any URL). */
  thirdParty: boolean;
  state: ListSourceState;
  /** ISO time of the copy in use (download time, or file modification time for local sources). */
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastError: ListSourceError | null;
  bytes: number | null;
}
