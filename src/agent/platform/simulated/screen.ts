// Draws the synthetic student screen of a simulated PC as SVG: a plausible school site or app
// that changes every few seconds (derived from the clock, no timer), the machine name, the
// time, the monitoring badge, a teacher message, or the dark lock screen.

import { translate, type Language } from '../../../shared/i18n/index.js';

export const simulatedScreenWidthPx = 1366;
export const simulatedScreenHeightPx = 768;
/** How long the simulated student looks at one site or app before switching. */
export const activitySwitchIntervalMs = 7_000;
/** How long a teacher message stays on the simulated screen (a student would close it). */
export const messageVisibleMs = 15_000;

export interface Activity {
  app: string;
  title: string;
  /** Address bar text, or null for desktop apps. */
  url: string | null;
  accent: string;
}

/** What a class of Vietnamese secondary students plausibly has open during a lesson. */
export const activities: readonly Activity[] = [
  { app: 'Chrome', title: 'Hệ Mặt Trời – Wikipedia tiếng Việt', url: 'vi.wikipedia.org/wiki/Hệ_Mặt_Trời', accent: '#3366cc' },
  { app: 'Scratch 3.0', title: 'Dự án: Mèo đuổi chuột', url: null, accent: '#855cd6' },
  { app: 'Microsoft Word', title: 'Bai-tap-Tin-hoc-7.docx', url: null, accent: '#2b579a' },
  { app: 'Chrome', title: 'OLM – Học trực tuyến: Toán 7', url: 'olm.vn/chu-de/toan-7', accent: '#0a8f3c' },
  { app: 'Microsoft Excel', title: 'Bang-diem-nhom-3.xlsx', url: null, accent: '#217346' },
  { app: 'Chrome', title: 'Khan Academy – Phân số', url: 'vi.khanacademy.org/math', accent: '#14bf96' },
  { app: 'Python IDLE', title: 'bai1.py – Python 3', url: null, accent: '#306998' },
  { app: 'Chrome', title: 'Google Docs – Bài thuyết trình nhóm', url: 'docs.google.com/document', accent: '#4285f4' },
  { app: 'Paint', title: 'Bản vẽ không tên – Paint', url: null, accent: '#d83b01' },
  { app: 'Chrome', title: 'YouTube – Lịch sử Việt Nam: Nhà Trần', url: 'youtube.com/watch', accent: '#ff0000' },
  { app: 'Chrome', title: 'Violympic – Luyện thi Toán', url: 'violympic.vn', accent: '#f39c12' },
  { app: 'PowerPoint', title: 'Gioi-thieu-ban-than.pptx', url: null, accent: '#b7472a' },
];

export interface ScreenView {
  machineName: string;
  /** 1-based monitor number, drawn on every monitor but the first of a multi-monitor PC. */
  monitor?: number;
  user: string | null;
  now: number;
  language: Language;
  /** Spreads machines across activities so a simulated lab does not look cloned. */
  seed: number;
  locked: boolean;
  lockMessage: string;
  indicator: { visible: boolean; className?: string; language: Language };
  message: { text: string; title?: string; shownAt: number } | null;
}

/** The activity a machine shows at `now`: a pure function of the clock and the machine's seed. */
export function activityAt(now: number, seed: number): Activity {
  const slot = Math.floor(now / activitySwitchIntervalMs) + seed;
  return activities[((slot % activities.length) + activities.length) % activities.length]!;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Greedy word wrap by character count (good enough for a synthetic screen). */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const pieces = word.length > maxChars ? word.match(new RegExp(`.{1,${maxChars}}`, 'gu')) ?? [word] : [word];
      for (const piece of pieces) {
        if (line.length === 0) line = piece;
        else if (line.length + 1 + piece.length <= maxChars) line += ' ' + piece;
        else {
          lines.push(line);
          line = piece;
        }
      }
    }
    lines.push(line);
  }
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = kept[maxLines - 1]!.slice(0, Math.max(0, maxChars - 1)) + '…';
    return kept;
  }
  return lines;
}

function clock(now: number): string {
  const d = new Date(now);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const font = "font-family=\"DejaVu Sans, Noto Sans, Arial, sans-serif\"";

function textLines(lines: string[], x: number, y: number, size: number, fill: string, anchor = 'start'): string {
  return lines
    .map((line, i) => `<text x="${x}" y="${y + i * size * 1.35}" font-size="${size}" fill="${fill}" text-anchor="${anchor}" ${font}>${escapeXml(line)}</text>`)
    .join('');
}

function lockScreen(view: ScreenView): string {
  const w = simulatedScreenWidthPx;
  const h = simulatedScreenHeightPx;
  const lang = view.language;
  const message = view.lockMessage.trim() || translate(lang, 'student.lock.defaultMessage');
  const messageLines = wrapText(message, 52, 6);
  return (
    `<rect width="${w}" height="${h}" fill="#0b1220"/>` +
    // A padlock drawn with two shapes.
    `<rect x="${w / 2 - 45}" y="150" width="90" height="70" rx="10" fill="#f5b301"/>` +
    `<path d="M ${w / 2 - 28} 150 v -25 a 28 28 0 0 1 56 0 v 25" stroke="#f5b301" stroke-width="12" fill="none"/>` +
    textLines([translate(lang, 'student.lock.title')], w / 2, 290, 48, '#ffffff', 'middle') +
    textLines([translate(lang, 'student.lock.byTeacher')], w / 2, 340, 24, '#9fb3c8', 'middle') +
    textLines(messageLines, w / 2, 420, 32, '#ffffff', 'middle') +
    textLines([`${view.machineName} · ${clock(view.now)}`], w / 2, h - 40, 22, '#6b7f95', 'middle')
  );
}

function workingScreen(view: ScreenView): string {
  const w = simulatedScreenWidthPx;
  const h = simulatedScreenHeightPx;
  const activity = activityAt(view.now, view.seed);
  const lang = view.language;
  const taskbarY = h - 44;
  let svg =
    `<rect width="${w}" height="${h}" fill="#dfe6ee"/>` +
    // Application window.
    `<rect x="20" y="16" width="${w - 40}" height="${taskbarY - 32}" fill="#ffffff" stroke="#b8c2cc"/>` +
    `<rect x="20" y="16" width="${w - 40}" height="40" fill="${activity.accent}"/>` +
    textLines([`${activity.title} – ${activity.app}`], 36, 43, 20, '#ffffff');
  let contentY = 76;
  if (activity.url) {
    svg +=
      `<rect x="36" y="66" width="${w - 72}" height="34" rx="17" fill="#f1f3f4" stroke="#d0d7de"/>` +
      textLines([activity.url], 56, 89, 17, '#3c4043');
    contentY = 118;
  }
  // Content: a heading and a few text-like bars; their lengths vary with the activity.
  svg += textLines([activity.title], 60, contentY + 40, 34, '#1f2933');
  const barSeed = activity.title.length;
  for (let i = 0; i < 9; i++) {
    const barWidth = 500 + ((barSeed * (i + 3) * 37) % 640);
    svg += `<rect x="60" y="${contentY + 80 + i * 36}" width="${barWidth}" height="14" rx="7" fill="#cfd8e3"/>`;
  }
  svg += `<rect x="${w - 420}" y="${contentY + 80}" width="340" height="220" rx="8" fill="${activity.accent}" opacity="0.18"/>`;
  // Taskbar with the machine name, user and time.
  const user = view.user ? translate(lang, 'student.screen.user', { user: view.user }) : translate(lang, 'student.screen.noUser');
  const monitor = view.monitor !== undefined && view.monitor > 1 ? ` · #${view.monitor}` : '';
  svg +=
    `<rect x="0" y="${taskbarY}" width="${w}" height="44" fill="#1f2933"/>` +
    textLines([`${view.machineName}${monitor} · ${user}`], 20, taskbarY + 29, 18, '#e4e7eb') +
    textLines([clock(view.now)], w - 20, taskbarY + 29, 20, '#ffffff', 'end');

  if (view.message && view.now - view.message.shownAt < messageVisibleMs) {
    const title = view.message.title ?? translate(lang, 'student.message.title');
    const lines = wrapText(view.message.text, 44, 5);
    const boxH = 120 + lines.length * 32;
    const boxY = (taskbarY - boxH) / 2;
    svg +=
      `<rect x="${w / 2 - 330}" y="${boxY}" width="660" height="${boxH}" rx="10" fill="#ffffff" stroke="#f5b301" stroke-width="4"/>` +
      textLines([title], w / 2 - 300, boxY + 48, 26, '#1f2933') +
      textLines(lines, w / 2 - 300, boxY + 96, 24, '#1f2933');
  }
  return svg;
}

function indicatorBadge(view: ScreenView): string {
  if (!view.indicator.visible) return '';
  const w = simulatedScreenWidthPx;
  const lang = view.indicator.language;
  const text = view.indicator.className
    ? translate(lang, 'student.indicator.monitoredLesson', { className: view.indicator.className })
    : translate(lang, 'student.indicator.monitored');
  const badgeW = Math.min(w - 40, 40 + text.length * 11);
  return (
    `<rect x="${w - badgeW - 20}" y="64" width="${badgeW}" height="36" rx="18" fill="#c62828" opacity="0.92"/>` +
    `<circle cx="${w - badgeW - 20 + 20}" cy="82" r="7" fill="#ffffff"/>` +
    textLines([text], w - badgeW + 16, 88, 18, '#ffffff')
  );
}

function monitorBody(view: ScreenView): string {
  return (view.locked ? lockScreen(view) : workingScreen(view)) + indicatorBadge(view);
}

/** Several monitors side by side (left to right, as `views` lists them) as one desktop picture. */
export function renderDesktopSvg(views: readonly ScreenView[], outWidth: number, outHeight: number): string {
  const monitors = views.map((view, i) => `<g transform="translate(${i * simulatedScreenWidthPx},0)">${monitorBody(view)}</g>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${outWidth}" height="${outHeight}" ` +
    `viewBox="0 0 ${views.length * simulatedScreenWidthPx} ${simulatedScreenHeightPx}">${monitors}</svg>`
  );
}
