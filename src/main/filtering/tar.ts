// A small tar reader (ustar, GNU long names, pax paths) for UT1 archives, with gzip via node:zlib.
//
// Only regular files are returned, and only those the caller wants, so a 4.6 M-line `adult`
// archive is read once into memory and nothing else is kept. Sizes are bounded by the caller's
// limits; a damaged archive throws TarError instead of returning half a list silently.

import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

const blockBytes = 512;

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

export interface TarFile {
  /** Path inside the archive, without a leading "./". */
  path: string;
  data: Uint8Array;
}

function readString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return Buffer.from(block.subarray(offset, end)).toString('utf8');
}

function readSize(block: Uint8Array, offset: number, length: number): number {
  // GNU base-256 encoding for sizes over 8 GB: high bit of the first byte set.
  if (block[offset]! & 0x80) {
    let value = block[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`bad octal number "${text}" in tar header`);
  return parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  const stored = readString(block, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < blockBytes; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === parseInt(stored, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < blockBytes; i++) if (block[i] !== 0) return false;
  return true;
}

/** The `path` record of a pax extended header ("<len> path=<value>\n" records). */
function paxPath(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString('utf8');
  let pos = 0;
  let path: string | undefined;
  while (pos < text.length) {
    const space = text.indexOf(' ', pos);
    if (space < 0) break;
    const length = Number(text.slice(pos, space));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = text.slice(space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    pos += length;
  }
  return path;
}

/** Reads an uncompressed tar archive, returning the regular files for which `want(path)` is true. */
export function readTar(archive: Uint8Array, want: (path: string) => boolean = () => true): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  let sawEnd = false;
  while (offset + blockBytes <= archive.length) {
    const header = archive.subarray(offset, offset + blockBytes);
    if (isZeroBlock(header)) {
      sawEnd = true;
      break;
    }
    if (!checksumOk(header)) throw new TarError(`bad tar header checksum at byte ${offset}`);
    const size = readSize(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const dataStart = offset + blockBytes;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.length) throw new TarError('tar archive is truncated');
    const data = archive.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / blockBytes) * blockBytes;

    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue;

    let path = longName;
    longName = undefined;
    if (path === undefined) {
      const name = readString(header, 0, 100);
      const magic = readString(header, 257, 6);
      const prefix = magic.startsWith('ustar') ? readString(header, 345, 155) : '';
      path = prefix ? `${prefix}/${name}` : name;
    }
    path = path.replace(/^(\.\/)+/, '');
    if ((type === '0' || type === '\0' || type === '7') && want(path)) files.push({ path, data });
  }
  if (!sawEnd && offset < archive.length) throw new TarError('tar archive ends inside a header');
  return files;
}

/** Gunzips (when gzip magic is present) with an output limit, then reads the tar. */
export async function readTarball(bytes: Uint8Array, maxUnpackedBytes: number, want?: (path: string) => boolean): Promise<TarFile[]> {
  let archive = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      archive = await gunzipAsync(bytes, { maxOutputLength: maxUnpackedBytes });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new TarError(`archive unpacks to more than ${maxUnpackedBytes} bytes`);
      throw new TarError(`not a valid gzip file: ${(error as Error).message}`);
    }
  }
  return readTar(archive, want);
}
