// Live thumbnails held as object URLs: one per machine, old ones freed, never a stale frame, and a
// tile never showing one monitor as if it were the whole desktop.
import { describe, expect, it } from 'vitest';
import { base64ToBytes, createThumbnailStore, isTilePictureHeld, machinesWithPictures, type ObjectUrls } from '../../../src/renderer/state/thumbnails.js';

function countingUrls() {
  let next = 0;
  const live = new Map<string, Uint8Array>();
  const revoked: string[] = [];
  const urls: ObjectUrls = {
    create(bytes) {
      const url = `blob:test/${next++}`;
      live.set(url, bytes);
      return url;
    },
    revoke(url) {
      if (!live.delete(url)) throw new Error(`revoked twice or unknown: ${url}`);
      revoked.push(url);
    },
  };
  return { urls, live, revoked };
}

const jpeg = (text: string) => Buffer.from(text).toString('base64');
const frame = (machineId: string, capturedAt: number, text = `jpeg-${machineId}-${capturedAt}`) => ({
  machineId,
  width: 320,
  height: 180,
  capturedAt,
  jpegBase64: jpeg(text),
});

describe('thumbnail store', () => {
  it('decodes base64 to the exact bytes', () => {
    const bytes = new Uint8Array([0xff, 0xd8, 0x00, 0x7f, 0x80, 0xff]);
    expect([...base64ToBytes(Buffer.from(bytes).toString('base64'))]).toEqual([...bytes]);
  });

  it('keeps one URL per machine and revokes the one it replaces', () => {
    const { urls, live, revoked } = countingUrls();
    const store = createThumbnailStore(urls, () => 1000);
    for (let i = 1; i <= 50; i++) {
      store.getState().put(frame('a', i));
      store.getState().put(frame('b', i));
    }
    expect(live.size).toBe(2); // a long lesson does not pile up images
    expect(revoked).toHaveLength(98);
    const a = store.getState().byMachine['a']!;
    expect(Buffer.from(live.get(a.url)!).toString()).toBe('jpeg-a-50');
    expect(a).toMatchObject({ width: 320, height: 180, capturedAt: 50, receivedAt: 1000 });
  });

  it('ignores a frame older than the one shown', () => {
    const { urls, live } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put(frame('a', 20));
    store.getState().put(frame('a', 10));
    expect(store.getState().byMachine['a']!.capturedAt).toBe(20);
    expect(live.size).toBe(1);
  });

  it('ignores a frame that is not base64 and keeps the last good one', () => {
    const { urls } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put(frame('a', 1));
    store.getState().put({ ...frame('a', 2), jpegBase64: '***not base64***' });
    expect(store.getState().byMachine['a']!.capturedAt).toBe(1);
  });

  it('frees the URLs of dropped machines and of everything on clear', () => {
    const { urls, live } = countingUrls();
    const store = createThumbnailStore(urls);
    for (const id of ['a', 'b', 'c']) store.getState().put(frame(id, 1));
    store.getState().drop(['a', 'unknown']);
    expect(Object.keys(store.getState().byMachine).sort()).toEqual(['b', 'c']);
    expect(live.size).toBe(2);
    store.getState().clear();
    expect(store.getState().byMachine).toEqual({});
    expect(live.size).toBe(0);
  });

  it('keeps the tile on the whole desktop while a large view asks for one monitor, and says its picture is held', () => {
    const { urls, live } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put({ ...frame('a', 1, 'whole-1'), screen: 'all' });
    expect(isTilePictureHeld(store.getState(), 'a')).toBe(false);
    // The teacher opens PC a large on its second monitor: only pictures of that monitor arrive.
    store.getState().put({ ...frame('a', 2, 'monitor-1-2'), screen: 1, width: 960, height: 540 });
    store.getState().put({ ...frame('a', 3, 'monitor-1-3'), screen: 1, width: 960, height: 540 });
    const tile = store.getState().byMachine['a']!;
    expect(tile).toMatchObject({ screen: 'all', capturedAt: 1 });
    expect(Buffer.from(live.get(tile.url)!).toString()).toBe('whole-1');
    expect(store.getState().monitorByMachine['a']).toMatchObject({ screen: 1, capturedAt: 3, width: 960 });
    expect(isTilePictureHeld(store.getState(), 'a')).toBe(true);
    expect(live.size).toBe(2); // one whole desktop, one monitor: the older monitor picture was freed
    // The large view closes: whole-desktop pictures come back, the monitor one is let go.
    store.getState().put({ ...frame('a', 4, 'whole-4'), screen: 'all' });
    expect(store.getState().byMachine['a']).toMatchObject({ screen: 'all', capturedAt: 4 });
    expect(store.getState().monitorByMachine['a']).toBeUndefined();
    expect(isTilePictureHeld(store.getState(), 'a')).toBe(false);
    expect(live.size).toBe(1);
  });

  it('takes a frame from an older console (no screen named) as the whole desktop', () => {
    const { urls } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put(frame('a', 1));
    expect(store.getState().byMachine['a']?.screen).toBe('all');
    expect(store.getState().monitorByMachine).toEqual({});
  });

  it('shows no tile picture at all rather than one monitor when no whole desktop came yet', () => {
    const { urls } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put({ ...frame('a', 1), screen: 0 });
    expect(store.getState().byMachine['a']).toBeUndefined();
    expect(isTilePictureHeld(store.getState(), 'a')).toBe(false);
    expect(machinesWithPictures(store.getState())).toEqual(['a']);
  });

  it('frees both pictures of a machine when it is dropped, and all of them on clear', () => {
    const { urls, live } = countingUrls();
    const store = createThumbnailStore(urls);
    store.getState().put({ ...frame('a', 1), screen: 'all' });
    store.getState().put({ ...frame('a', 2), screen: 1 });
    store.getState().put({ ...frame('b', 1), screen: 'all' });
    store.getState().put({ ...frame('c', 1), screen: 0 });
    expect(machinesWithPictures(store.getState()).sort()).toEqual(['a', 'b', 'c']);
    store.getState().drop(['a', 'c']);
    expect(machinesWithPictures(store.getState())).toEqual(['b']);
    expect(live.size).toBe(1);
    store.getState().put({ ...frame('b', 2), screen: 0 });
    store.getState().clear();
    expect(live.size).toBe(0);
    expect(store.getState()).toMatchObject({ byMachine: {}, monitorByMachine: {} });
  });
});
