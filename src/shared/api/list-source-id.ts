// Adding a list source from the UI or the IT command line: a readable id made from what the source
// is (its category or file name), unique among the sources already configured, and the UT1 copy
// type a path names (a .tar.gz archive or an unpacked folder). One place, so both read the same.

import { listSourceIdPattern } from '../filtering/list-sources.js';

export type NewListSourceType = 'ut1-category' | 'ut1-folder' | 'ut1-tarball' | 'url' | 'file';

/** Longest id (the schema allows 64; a suffix like "-12" must still fit). */
const maxBaseChars = 56;

/** A UT1 copy on disk: an archive by its name (.tar.gz, .tgz, .tar), else an unpacked folder. */
export function ut1CopyType(path: string): 'ut1-tarball' | 'ut1-folder' {
  return /\.(tar\.gz|tgz|tar)$/i.test(path.trim()) ? 'ut1-tarball' : 'ut1-folder';
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/đ/g, 'd')
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '')
    .slice(0, maxBaseChars);
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return (parts[parts.length - 1] ?? '').replace(/\.(tar\.gz|tgz|tar|txt|list)$/i, '');
}

/** "ut1-gambling", "url-ads", "file-school-list", "ut1-copy-blacklists" — made unique with "-2", "-3"… */
export function newListSourceId(source: { type: NewListSourceType; category?: string; path?: string }, taken: Iterable<string>): string {
  const used = new Set(taken);
  const what =
    source.type === 'ut1-category'
      ? `ut1-${slug(source.category ?? '')}`
      : source.type === 'url'
        ? `url-${slug(source.category ?? '')}`
        : source.type === 'file'
          ? `file-${slug(source.category ?? '') || slug(baseName(source.path ?? ''))}`
          : `ut1-copy-${slug(baseName(source.path ?? ''))}`;
  const base = slug(what) || 'list';
  const valid = listSourceIdPattern.test(base) ? base : `list-${base}`.slice(0, maxBaseChars);
  if (!used.has(valid)) return valid;
  for (let n = 2; n < 1000; n++) {
    const candidate = `${valid}-${n}`;
    if (!used.has(candidate)) return candidate;
  }
  return `${valid}-${Date.now().toString(36)}`;
}
