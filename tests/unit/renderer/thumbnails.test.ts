// Live thumbnails held as object URLs: one per machine, old ones freed, never a stale frame.
import { describe, expect, it } from 'vitest';
import { base64ToBytes, createThumbnailStore, type ObjectUrls } from '../../../src/renderer/state/thumbnails.js';

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
});
