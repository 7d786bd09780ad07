// Checks a list source IT staff add before the console takes it: a path must be a full path to
// something that exists and is of the right kind (file or folder), the same list must not be
// configured twice, and a path may lead only to a list — never into the console's own data folder
// (its keys and access token), a system place, a private key or certificate, a pipe or device, or
// a file over the size limit. Each refusal is an ApiError a teacher can read in Vietnamese and
// English. (The shape itself — id pattern, http(s) URL, category name — is the API schema's job.)

import path from 'node:path';
import { ut1CategoryUrl, type ListSource } from '../../shared/filtering/list-sources.js';
import { checkLocalPath, containsKeyMaterial, LocalFileError, maxLocalListBytes, readHead, type LocalRefusal } from '../filtering/local-files.js';
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

const refusalKeys: Record<LocalRefusal, string> = {
  missing: 'errors.listSourcePathMissing',
  'not-a-file': 'errors.listSourceNotAFile',
  'not-a-folder': 'errors.listSourceNotAFolder',
  'data-dir': 'errors.listSourceInDataDir',
  system: 'errors.listSourceSystemPath',
  'secret-file': 'errors.listSourceSecretFile',
  'not-regular': 'errors.listSourceNotRegular',
  'too-large': 'errors.listSourceTooLarge',
};

const megabytes = (bytes: number): number => Math.ceil(bytes / (1024 * 1024));

export interface SourceCheckOptions {
  /** The console's data directory: no source may read from it. */
  dataDir: string;
}

/** Throws an ApiError when `source` cannot be added next to `existing`. */
export async function checkNewSource(source: ListSource, existing: readonly ListSource[], options: SourceCheckOptions): Promise<void> {
  const identity = identityOf(source);
  const twin = existing.find((other) => identityOf(other) === identity);
  if (twin) throw new ApiError('conflict', 'errors.listSourceDuplicate', { source: twin.id });
  if (source.type === 'ut1-category' || source.type === 'url') return;

  // path.isAbsolute knows this platform's form (C:\… on Windows, /… elsewhere).
  if (!path.isAbsolute(source.path)) throw new ApiError('bad-request', 'errors.listSourcePathNotAbsolute', { path: source.path });
  try {
    const real = await checkLocalPath(source.path, source.type === 'ut1-folder' ? 'folder' : 'file', { protectedDirs: [options.dataDir] });
    // Named like a list but written like a key: refused before any line of it could be shown.
    if (source.type === 'file' && containsKeyMaterial(await readHead(real))) throw new LocalFileError('secret-file', source.path);
  } catch (error) {
    if (!(error instanceof LocalFileError)) throw error;
    throw new ApiError('bad-request', refusalKeys[error.refusal], { path: source.path, size: megabytes(error.size ?? 0), limit: megabytes(maxLocalListBytes) });
  }
}
