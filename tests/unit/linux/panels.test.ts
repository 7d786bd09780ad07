// What students read on Linux is drawn by sharp + Pango: Vietnamese must come out as real glyphs
// (not boxes), and teacher text must never be taken for markup.

import { describe, expect, it } from 'vitest';
import { escapeMarkup, renderBadge, renderLockPanel, renderMessageBox, renderText } from '../../../src/agent/platform/linux/panels.js';

const style = { px: 32, colour: 0xffffff, width: 1200 };

function sameImage(a: { data: Buffer; width: number; height: number }, b: { data: Buffer; width: number; height: number }): boolean {
  return a.width === b.width && a.height === b.height && a.data.equals(b.data);
}

describe('text for the student screen', () => {
  it('draws Vietnamese letters as real glyphs, not boxes', async () => {
    // With a font that has the letters, HarfBuzz draws the precomposed letter (NFC) and the base
    // letter plus combining marks (NFD) identically. A missing glyph is drawn as a box holding the
    // code point in hex, and those boxes differ between the two spellings.
    const sentence = 'Khoá màn hình — Hãy chú ý lên bảng. Đây là Tiếng Việt: ộ ữ ặ ẫ ỳ ỡ ự';
    const nfc = await renderText(sentence.normalize('NFC'), style);
    const nfd = await renderText(sentence.normalize('NFD'), style);
    expect(sameImage(nfc, nfd)).toBe(true);
    // And the marks are really drawn: without them the picture differs.
    const bare = await renderText(sentence.normalize('NFD').replace(/\p{M}/gu, ''), style);
    expect(sameImage(nfc, bare)).toBe(false);
  });

  it('would notice boxes: a letter no installed font has differs between its two spellings', async () => {
    // U+0929 (Devanagari NNNA) = U+0928 + U+093C; no font here draws Devanagari, so this proves
    // the check above can fail (if a Devanagari font appears, pick another uncovered script).
    const letter = '\u0929';
    const nfc = await renderText(letter.normalize('NFC'), style);
    const nfd = await renderText(letter.normalize('NFD'), style);
    expect(sameImage(nfc, nfd)).toBe(false);
  });

  it('shows markup characters as typed', async () => {
    expect(escapeMarkup('<b>Tom & Jerry</b> "hi" \'x\'')).toBe('&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; &quot;hi&quot; &#39;x&#39;');
    const typed = await renderText('<b>bold?</b> & more', style);
    const plain = await renderText('bold? & more', style);
    expect(typed.width).toBeGreaterThan(plain.width);
  });

  it('wraps a long teacher message instead of running off the screen', async () => {
    const panel = await renderLockPanel({ title: 'Màn hình đã được khóa', message: 'Các em hãy chú ý lên bảng. '.repeat(20), screenWidth: 1366, screenHeight: 768 });
    expect(panel.width).toBeLessThanOrEqual(1366);
    expect(panel.height).toBeLessThanOrEqual(768);
    expect(panel.channels).toBe(3);
    expect(panel.data.length).toBe(panel.width * panel.height * 3);
  });

  it('keeps a 500-character message on a small screen', async () => {
    const panel = await renderLockPanel({ title: 'Khoá', message: 'x'.repeat(500), screenWidth: 800, screenHeight: 600 });
    expect(panel.width).toBeLessThanOrEqual(800);
    expect(panel.height).toBeLessThanOrEqual(600);
  });

  it('draws an empty lock message as just the title', async () => {
    const empty = await renderLockPanel({ title: 'Khoá', message: '', screenWidth: 1280, screenHeight: 720 });
    const some = await renderLockPanel({ title: 'Khoá', message: 'Hãy chú ý', screenWidth: 1280, screenHeight: 720 });
    expect(empty.height).toBeLessThan(some.height);
  });

  it('keeps the badge small and the message box narrower than the screen', async () => {
    const badge = await renderBadge('Giáo viên có thể xem màn hình này', 768);
    expect(badge.width).toBeLessThan(400);
    expect(badge.height).toBeLessThan(40);
    const box = await renderMessageBox({ title: 'Tin nhắn từ giáo viên', text: 'Mở bài 5.', closeLabel: 'Đóng', screenWidth: 1366, screenHeight: 768 });
    expect(box.width).toBeLessThan(1366 / 2);
  });
});
