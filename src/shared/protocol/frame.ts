// Binary screen-image frames (agent -> console): a fixed 24-byte header, then JPEG bytes.
//
// Layout (big-endian):
//   0  u8[2]  magic 'S' 'L'
//   2  u8     version (1)
//   3  u8     kind (1 = thumbnail JPEG)
//   4  u32    requestId the console sent in its `thumbnail` request
//   8  u16    width in pixels
//  10  u16    height in pixels
//  12  u8     screen index, 255 = whole desktop
//  13  u8[3]  reserved, zero
//  16  f64    capturedAt, ms since the epoch
//  24  ...    JPEG bytes (must start with FF D8)
// Uses only Uint8Array/DataView so it runs in Node, the agent and the browser alike.

import { maxFilterListBytes, maxFrameBytes } from './limits.js';
import { ProtocolError } from './errors.js';

export const frameHeaderBytes = 24;
export const frameVersion = 1;
export const frameKindThumbnail = 1;
export const frameKindFilterChunk = 2;
export const wholeDesktopScreen = 255;

export interface ThumbnailFrameHeader {
  requestId: number;
  width: number;
  height: number;
  /** Screen index, or `wholeDesktopScreen`. */
  screen: number;
  capturedAt: number;
}

export interface ThumbnailFrame extends ThumbnailFrameHeader {
  /** A view into the frame's bytes (no copy). */
  jpeg: Uint8Array;
}

/** Writes a header for `jpegLength` bytes of JPEG into a new buffer the caller fills (one allocation). */
export function encodeThumbnailFrame(header: ThumbnailFrameHeader, jpeg: Uint8Array): Uint8Array {
  const total = frameHeaderBytes + jpeg.byteLength;
  if (total > maxFrameBytes) {
    throw new ProtocolError('frame-too-large', `frame of ${total} bytes exceeds ${maxFrameBytes}`);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer, out.byteOffset, frameHeaderBytes);
  out[0] = 0x53; // 'S'
  out[1] = 0x4c; // 'L'
  out[2] = frameVersion;
  out[3] = frameKindThumbnail;
  view.setUint32(4, header.requestId >>> 0);
  view.setUint16(8, header.width);
  view.setUint16(10, header.height);
  out[12] = header.screen & 0xff;
  view.setFloat64(16, header.capturedAt);
  out.set(jpeg, frameHeaderBytes);
  return out;
}

/** Parses and checks a binary frame; throws ProtocolError with a code on anything malformed. */
export function decodeThumbnailFrame(data: Uint8Array): ThumbnailFrame {
  if (data.byteLength > maxFrameBytes) {
    throw new ProtocolError('frame-too-large', `frame of ${data.byteLength} bytes exceeds ${maxFrameBytes}`);
  }
  if (data.byteLength < frameHeaderBytes + 4) {
    throw new ProtocolError('frame-malformed', `frame of ${data.byteLength} bytes is shorter than a header and an image`);
  }
  if (data[0] !== 0x53 || data[1] !== 0x4c) throw new ProtocolError('frame-malformed', 'bad frame magic');
  if (data[2] !== frameVersion) throw new ProtocolError('frame-malformed', `unsupported frame version ${data[2]}`);
  if (data[3] !== frameKindThumbnail) throw new ProtocolError('frame-malformed', `unknown frame kind ${data[3]}`);
  const view = new DataView(data.buffer, data.byteOffset, frameHeaderBytes);
  const width = view.getUint16(8);
  const height = view.getUint16(10);
  if (width === 0 || height === 0) throw new ProtocolError('frame-malformed', 'frame has zero size');
  const capturedAt = view.getFloat64(16);
  if (!Number.isFinite(capturedAt)) throw new ProtocolError('frame-malformed', 'frame time is not a number');
  const jpeg = data.subarray(frameHeaderBytes);
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new ProtocolError('frame-malformed', 'frame payload is not a JPEG');
  return { requestId: view.getUint32(4), width, height, screen: data[12]!, capturedAt, jpeg };
}

// ---- filter-list chunks (console -> agent) ---------------------------------------------
//
// A compiled filter list travels as consecutive chunks before the `setFilter` command that
// names it. Layout (big-endian):
//   0  u8[2]  magic 'S' 'L'
//   2  u8     version (1)
//   3  u8     kind (2 = filter-list chunk)
//   4  u32    transferId (the `setFilter` command's list.transferId)
//   8  u32    offset of this chunk in the list
//  12  u32    total list length in bytes
//  16  u8[8]  reserved, zero
//  24  ...    chunk bytes

/** Bytes of list data per chunk, so every chunk frame fits the websocket payload limit. */
export const filterChunkBytes = maxFrameBytes - frameHeaderBytes;

export interface FilterChunk {
  transferId: number;
  offset: number;
  total: number;
  /** A view into the frame (no copy). */
  data: Uint8Array;
}

/** The kind byte of a binary frame (after a minimal header check), to dispatch on. */
export function frameKind(data: Uint8Array): number {
  if (data.byteLength < frameHeaderBytes || data[0] !== 0x53 || data[1] !== 0x4c) {
    throw new ProtocolError('frame-malformed', 'bad frame magic or short frame');
  }
  if (data[2] !== frameVersion) throw new ProtocolError('frame-malformed', `unsupported frame version ${data[2]}`);
  return data[3]!;
}

/** Splits a compiled list into chunk frames (one allocation per chunk). */
export function encodeFilterChunks(transferId: number, list: Uint8Array): Uint8Array[] {
  if (list.byteLength === 0 || list.byteLength > maxFilterListBytes) {
    throw new ProtocolError('frame-too-large', `filter list of ${list.byteLength} bytes is empty or exceeds ${maxFilterListBytes}`);
  }
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < list.byteLength; offset += filterChunkBytes) {
    const part = list.subarray(offset, Math.min(list.byteLength, offset + filterChunkBytes));
    const out = new Uint8Array(frameHeaderBytes + part.byteLength);
    const view = new DataView(out.buffer, out.byteOffset, frameHeaderBytes);
    out[0] = 0x53;
    out[1] = 0x4c;
    out[2] = frameVersion;
    out[3] = frameKindFilterChunk;
    view.setUint32(4, transferId >>> 0);
    view.setUint32(8, offset);
    view.setUint32(12, list.byteLength);
    out.set(part, frameHeaderBytes);
    frames.push(out);
  }
  return frames;
}

export function decodeFilterChunk(data: Uint8Array): FilterChunk {
  if (frameKind(data) !== frameKindFilterChunk) throw new ProtocolError('frame-malformed', `frame kind ${data[3]} is not a filter chunk`);
  const view = new DataView(data.buffer, data.byteOffset, frameHeaderBytes);
  const offset = view.getUint32(8);
  const total = view.getUint32(12);
  const chunk = data.subarray(frameHeaderBytes);
  if (total === 0 || total > maxFilterListBytes) throw new ProtocolError('frame-malformed', `filter list size ${total} out of range`);
  if (chunk.byteLength === 0 || offset + chunk.byteLength > total) throw new ProtocolError('frame-malformed', 'filter chunk lies outside its list');
  return { transferId: view.getUint32(4), offset, total, data: chunk };
}
