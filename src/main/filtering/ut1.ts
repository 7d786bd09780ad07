// Reads UT1 categories from an unpacked folder or a tarball (<category>/domains, urls, expressions).
// Files of a folder are read as local list files are (local-files.ts): a link out to a key, a
// pipe or an oversized file is skipped, and only lists may be quoted in reports.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { categoryNamePattern } from '../../shared/filtering/blob-format.js';
import type { ParsedList } from '../../shared/filtering/list-report.js';
import { parseUt1Category, type Ut1CategoryFiles } from '../../shared/filtering/parse-ut1.js';
import { withExamplesOnlyFromLists } from './example-lines.js';
import { checkLocalPath, readLocalFile } from './local-files.js';
import { readTarball } from './tar.js';

const ut1FileNames = ['domains', 'urls', 'expressions'] as const;
type Ut1FileName = (typeof ut1FileNames)[number];

export interface Ut1Category {
  category: string;
  parsed: ParsedList;
}

/** Largest unpacked UT1 archive accepted (the whole blacklists.tar.gz unpacks to ~300 MB). */
export const maxUt1UnpackedBytes = 768 * 1024 * 1024;

const decoder = new TextDecoder('utf-8');

function wanted(category: string, only?: readonly string[]): boolean {
  return categoryNamePattern.test(category) && (only === undefined || only.includes(category));
}

/** "<anything>/<category>/<file>" -> [category, file] when file is a UT1 list file. */
function splitUt1Path(path: string): [string, Ut1FileName] | null {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length < 2) return null;
  const file = parts[parts.length - 1]! as Ut1FileName;
  if (!ut1FileNames.includes(file)) return null;
  return [parts[parts.length - 2]!, file];
}

function parseCategories(byCategory: Map<string, Ut1CategoryFiles>, sourcePrefix: string): Ut1Category[] {
  return [...byCategory.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, files]) => ({
      category,
      parsed: withExamplesOnlyFromLists(parseUt1Category(files, `${sourcePrefix}${category}`), Object.values(files).filter((text) => text !== undefined)),
    }));
}

/** Reads every category folder under `folder` (or only `categories`). Missing files are simply absent. */
export async function readUt1Folder(folder: string, categories?: readonly string[], protectedDirs: readonly string[] = []): Promise<Ut1Category[]> {
  const byCategory = new Map<string, Ut1CategoryFiles>();
  await checkLocalPath(folder, 'folder', { protectedDirs });
  const entries = await readdir(folder, { withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isDirectory() || !wanted(entry.name, categories)) continue;
    const files: Ut1CategoryFiles = {};
    for (const name of ut1FileNames) {
      // Missing, or refused (a link to a key, a pipe): that file is simply absent.
      const bytes = await readLocalFile(join(folder, entry.name, name), { protectedDirs }).catch(() => null);
      if (bytes) files[name] = decoder.decode(bytes);
    }
    if (Object.keys(files).length > 0) byCategory.set(entry.name, files);
  }
  return parseCategories(byCategory, 'ut1/');
}

/** Reads UT1 categories from tarball bytes (a single category or the whole archive). */
export async function readUt1Tarball(bytes: Uint8Array, categories?: readonly string[]): Promise<Ut1Category[]> {
  const byCategory = new Map<string, Ut1CategoryFiles>();
  const files = await readTarball(bytes, maxUt1UnpackedBytes, (path) => {
    const split = splitUt1Path(path);
    return split !== null && wanted(split[0], categories);
  });
  for (const file of files) {
    const [category, name] = splitUt1Path(file.path)!;
    const entry = byCategory.get(category) ?? {};
    entry[name] = decoder.decode(file.data);
    byCategory.set(category, entry);
  }
  return parseCategories(byCategory, 'ut1/');
}
