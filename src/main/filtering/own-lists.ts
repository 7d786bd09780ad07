// Loads the lists the SafeLab team writes (resources/lists/*.txt): plain domain lists whose comment
// header names their category and kind ("# category: doh-providers", "# kind: block").

import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { categoryNamePattern, type CategoryKind } from '../../shared/filtering/blob-format.js';
import type { ParsedList } from '../../shared/filtering/list-report.js';
import { parseDomainList } from '../../shared/filtering/parse-domains.js';

export interface OwnList {
  file: string;
  category: string;
  kind: CategoryKind;
  parsed: ParsedList;
}

/**
 * resources/lists in the source tree and next to the built code: this file sits at
 * src/main/filtering/ (tests) or dist/main/filtering/ (built), three levels below the project root.
 */
export const defaultOwnListsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../resources/lists');

/** Reads the `# key: value` lines of a list's leading comment block. */
export function readListHeader(text: string): Record<string, string> {
  const header: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('#')) break;
    const match = /^#\s*([a-z-]+):\s*(.+)$/i.exec(trimmed);
    if (match) header[match[1]!.toLowerCase()] = match[2]!.trim();
  }
  return header;
}

/** Parses one of our lists; throws when its header lacks a valid category or kind (a packaging bug). */
export function parseOwnList(text: string, file: string): OwnList {
  const header = readListHeader(text);
  const category = header['category'];
  const kind = header['kind'];
  if (category === undefined || !categoryNamePattern.test(category)) throw new Error(`${file}: missing or bad "# category:" header`);
  if (kind !== 'block' && kind !== 'allow') throw new Error(`${file}: "# kind:" must be block or allow`);
  return { file, category, kind, parsed: parseDomainList(text, `safelab/${category}`) };
}

/** Every *.txt list in `dir` (default: the shipped resources/lists). */
export async function loadOwnLists(dir: string = defaultOwnListsDir): Promise<OwnList[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.txt')).sort();
  return Promise.all(names.map(async (name) => parseOwnList(await readFile(join(dir, name), 'utf8'), name)));
}
