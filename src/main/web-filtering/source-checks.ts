// Checks a list source IT staff add before the console takes it: a path must be a full path to
// something that exists and is of the right kind (file or folder), and the same list must not be
// configured twice. Each refusal is an ApiError a teacher can read in Vietnamese and English.
// (The shape itself — id pattern, http(s) URL, category name — is the API schema's job.)

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ut1CategoryUrl, type ListSource } from '../../shared/filtering/list-sources.js';
import { ApiError } from '../api/errors.js';

/** What makes two sources the same list: the URL it is downloaded from, or the path it is read from. */
function identityOf(source: ListSource): string {
  switch (source.type) {
    case 'ut1-category':
      return `url ${source.url ?? ut1CategoryUrl(source.category)}`;
    case 'url':
      return `url ${source.url}`;
    case 'file':
    case 'ut1-folder':
    case 'ut1-tarball':
      return `path ${path.resolve(source.path)}`;
  }
}

/** Throws an ApiError when `source` cannot be added next to `existing`. */
export async function checkNewSource(source: ListSource, existing: readonly ListSource[]): Promise<void> {
  const identity = identityOf(source);
  const twin = existing.find((other) => identityOf(other) === identity);
  if (twin) throw new ApiError('conflict', 'errors.listSourceDuplicate', { source: twin.id });
  if (source.type === 'ut1-category' || source.type === 'url') return;

  // path.isAbsolute knows this platform's form (C:\… on Windows, /… elsewhere).
  if (!path.isAbsolute(source.path)) throw new ApiError('bad-request', 'errors.listSourcePathNotAbsolute', { path: source.path });
  const info = await stat(source.path).catch(() => null);
  if (!info) throw new ApiError('bad-request', 'errors.listSourcePathMissing', { path: source.path });
  if (source.type === 'ut1-folder') {
    if (!info.isDirectory()) throw new ApiError('bad-request', 'errors.listSourceNotAFolder', { path: source.path });
  } else if (!info.isFile()) {
    throw new ApiError('bad-request', 'errors.listSourceNotAFile', { path: source.path });
  }
}
