// Watches a few pixels of an X screen (its own X connection, GetImage) to time when a lock shows
// up and goes away, for SafeLab and Veyon alike. Also paints the benchmark's desktop.

import sharp from 'sharp';

const dist = new URL('../../dist/agent/platform/linux/', import.meta.url);
const { XConnection } = await import(new URL('x-connection.js', dist).href);
const { createOverlay, toServerImage } = await import(new URL('overlay-window.js', dist).href);

/** Reads 0xRRGGBB at the given points (little-endian 32-bit servers, as Xvfb is). */
export async function openWatch(display) {
  const conn = await XConnection.open(display);
  const read = async ({ x, y }) => {
    const d = await conn.rootImage({ x, y, width: 1, height: 1 });
    return (d[2] << 16) | (d[1] << 8) | d[0];
  };
  return {
    conn,
    read: (points) => Promise.all(points.map(read)),
    close: () => conn.close(),
  };
}

export function differs(a, b, tolerance = 24) {
  return ['r', 'g', 'b'].some((_, i) => Math.abs(((a >> (16 - 8 * i)) & 0xff) - ((b >> (16 - 8 * i)) & 0xff)) > tolerance);
}

/** Polls every `intervalMs` until `done(pixels)`; resolves the elapsed ms since `startedAt`. */
export async function timeUntil(watch, points, done, startedAt, timeoutMs = 10_000, intervalMs = 2) {
  for (;;) {
    const pixels = await watch.read(points);
    if (done(pixels)) return performance.now() - startedAt;
    if (performance.now() - startedAt > timeoutMs) return NaN;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A plausible classroom desktop: wallpaper, desktop icons, a taskbar and a browser-like window
 * with a Vietnamese lesson page (text is what makes thumbnails expensive, so there is a lot).
 */
export async function paintDesktop(display, width, height) {
  const lines = [
    'Bài 5. Em tập soạn thảo văn bản',
    'Mục tiêu: biết gõ chữ Việt có dấu, căn lề, chèn hình ảnh và lưu tệp vào thư mục của lớp.',
    'Hoạt động 1: Mở phần mềm soạn thảo, gõ đoạn văn giới thiệu về trường em (khoảng 5 câu).',
    'Hoạt động 2: Chọn phông chữ, cỡ chữ 14, căn giữa tiêu đề, in đậm tên trường.',
    'Hoạt động 3: Chèn một hình ảnh về lớp học, điều chỉnh kích thước cho vừa trang.',
    'Lưu ý an toàn: không chia sẻ mật khẩu, không mở liên kết lạ, báo thầy cô khi gặp nội dung xấu.',
    'Câu hỏi: Vì sao cần lưu tệp thường xuyên? Em đặt tên tệp như thế nào cho dễ tìm?',
  ];
  const win = { x: Math.round(width * 0.16), y: Math.round(height * 0.08), w: Math.round(width * 0.68), h: Math.round(height * 0.78) };
  const text = lines
    .map((l, i) => `<text x="${win.x + 32}" y="${win.y + 110 + i * 34}" font-family="DejaVu Sans" font-size="${i === 0 ? 24 : 16}" ${i === 0 ? 'font-weight="bold"' : ''} fill="#202124">${l}</text>`)
    .join('\n');
  const icons = Array.from({ length: 6 }, (_, i) => `<rect x="24" y="${30 + i * 90}" width="48" height="48" rx="8" fill="hsl(${i * 57},60%,55%)"/><text x="48" y="${96 + i * 90}" font-family="DejaVu Sans" font-size="12" fill="#fff" text-anchor="middle">Tệp ${i + 1}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="wall" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e5799"/><stop offset="1" stop-color="#7db9e8"/></linearGradient>
  <linearGradient id="pic" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#f6d365"/><stop offset="1" stop-color="#fda085"/></linearGradient></defs>
  <rect width="${width}" height="${height}" fill="url(#wall)"/>${icons}
  <rect x="${win.x}" y="${win.y}" width="${win.w}" height="${win.h}" fill="#ffffff" stroke="#888"/>
  <rect x="${win.x}" y="${win.y}" width="${win.w}" height="36" fill="#dfe3e8"/>
  <rect x="${win.x + 120}" y="${win.y + 6}" width="${win.w - 240}" height="24" rx="12" fill="#fff"/>
  <text x="${win.x + 140}" y="${win.y + 23}" font-family="DejaVu Sans" font-size="13" fill="#555">https://hoc.truong.edu.vn/tin-hoc/bai-5</text>
  ${text}
  <rect x="${win.x + 32}" y="${win.y + 370}" width="${Math.round(win.w * 0.4)}" height="${Math.round(win.h * 0.3)}" fill="url(#pic)"/>
  <circle cx="${win.x + 32 + win.w * 0.1}" cy="${win.y + 370 + win.h * 0.15}" r="${win.h * 0.08}" fill="#ffffff" opacity="0.6"/>
  <rect y="${height - 40}" width="${width}" height="40" fill="#202124"/>
  <text x="${width - 80}" y="${height - 14}" font-family="DejaVu Sans" font-size="14" fill="#fff">08:45</text>
</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const conn = await XConnection.open(display);
  const wid = createOverlay(conn, {
    rect: { x: 0, y: 0, width, height },
    background: 0x1e5799,
    image: toServerImage(conn, { data, width: info.width, height: info.height, channels: 3 }),
    name: 'bench desktop',
  });
  conn.mapWindow(wid);
  await conn.sync();
  return conn;
}
