// Draws what a student sees from SafeLab on Linux (lock panel, monitoring badge, teacher message)
// as images, with sharp: shapes from SVG, text through Pango (sharp's text input), which shapes
// Vietnamese diacritics correctly and wraps long teacher messages at word boundaries.
// The X side only ever shows these images as window backgrounds, so no X fonts are needed.

import { loadSharp } from '../sharp.js';
import type { RawImage } from './zpixmap.js';

/**
 * Font families, best first. DejaVu Sans covers every Vietnamese letter (Debian: fonts-dejavu-core);
 * fontconfig falls back to the others, then to any sans font, when it is missing.
 */
export const fontFamilies = 'DejaVu Sans,Noto Sans,Liberation Sans,Sans';

/** Colours, 0xRRGGBB. The lock cover is deliberately calm: a pause, not an alarm. */
export const colours = {
  lockCover: 0x0d2a45,
  lockPanel: 0x163d63,
  lockAccent: 0xf2c14e,
  lockText: 0xffffff,
  badgeBackground: 0x202124,
  badgeDot: 0xe53935,
  badgeText: 0xffffff,
  messageBackground: 0xfff8e1,
  messageBorder: 0xf2a900,
  messageText: 0x202124,
} as const;

const hex = (rgb: number): string => `#${rgb.toString(16).padStart(6, '0')}`;
const flattenTo = (rgb: number): { r: number; g: number; b: number } => ({ r: (rgb >> 16) & 0xff, g: (rgb >> 8) & 0xff, b: rgb & 0xff });

/** Pango markup needs these escaped; a teacher's "<3 & thanks" must not break the lock screen. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface TextBlock {
  data: Buffer;
  width: number;
  height: number;
}

interface TextStyle {
  px: number;
  bold?: boolean;
  colour: number;
  /** Wrap width; the block is at most this wide. */
  width: number;
  /** When set, Pango shrinks the text to fit this height (very long messages). */
  maxHeight?: number;
  align?: 'left' | 'centre';
}

/** Renders wrapped text to RGBA (transparent background). Empty text gives a 1x1 transparent block. */
export async function renderText(text: string, style: TextStyle): Promise<TextBlock> {
  const clean = text.replace(/\r\n?/g, '\n').trim();
  if (clean.length === 0) return { data: Buffer.alloc(4), width: 1, height: 1 };
  const markup = `<span foreground="${hex(style.colour)}">${escapeMarkup(clean)}</span>`;
  const sharp = await loadSharp();
  const render = (maxHeight?: number) =>
    sharp({
      text: {
        text: markup,
        font: `${fontFamilies} ${style.bold ? 'Bold ' : ''}${style.px}`,
        width: Math.max(1, Math.round(style.width)),
        ...(maxHeight ? { height: Math.round(maxHeight) } : { dpi: 72 }),
        rgba: true,
        wrap: 'word-char',
        align: style.align ?? 'centre',
      },
    })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  let out = await render();
  if (style.maxHeight && out.info.height > style.maxHeight) out = await render(style.maxHeight);
  return { data: out.data, width: out.info.width, height: out.info.height };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

async function composeOpaque(
  width: number,
  height: number,
  svgBackground: string,
  background: number,
  blocks: Array<{ block: TextBlock; left: number; top: number }>,
): Promise<RawImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(Buffer.from(svgBackground))
    .resize(width, height)
    .composite(
      blocks.map(({ block, left, top }) => ({
        input: block.data,
        raw: { width: block.width, height: block.height, channels: 4 as const },
        left: Math.round(left),
        top: Math.round(top),
      })),
    )
    // X windows here have no alpha: blend onto the colour around the panel.
    .flatten({ background: flattenTo(background) })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/**
 * The centre piece of the lock screen for one monitor: a padlock, the title and the teacher's
 * message, sized from the monitor so it reads the same on 1366x768 and 1920x1080.
 */
export async function renderLockPanel(opts: { title: string; message: string; screenWidth: number; screenHeight: number }): Promise<RawImage> {
  const { screenWidth: W, screenHeight: H } = opts;
  // 70 % of the monitor, but on small monitors use nearly all of it so the title stays on one line.
  const width = Math.round(clamp(W * 0.7, Math.min(W - 32, 560), 1200));
  const pad = Math.round(clamp(width * 0.05, 12, 48));
  const titlePx = Math.round(clamp(H * 0.045, 16, 56));
  const bodyPx = Math.round(clamp(H * 0.032, 13, 40));
  const icon = Math.round(titlePx * 1.8);
  const innerWidth = width - 2 * pad;
  const maxBodyHeight = Math.max(bodyPx * 2, H * 0.85 - icon - titlePx * 2 - 4 * pad);
  const [title, body] = await Promise.all([
    renderText(opts.title, { px: titlePx, bold: true, colour: colours.lockAccent, width: innerWidth }),
    renderText(opts.message, { px: bodyPx, colour: colours.lockText, width: innerWidth, maxHeight: maxBodyHeight }),
  ]);
  const gap = Math.round(pad * 0.6);
  const height = Math.min(H, pad + icon + gap + title.height + gap + body.height + pad);
  const iconX = width / 2 - icon / 2;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect x="1" y="1" width="${width - 2}" height="${height - 2}" rx="${pad / 2}" fill="${hex(colours.lockPanel)}" stroke="${hex(colours.lockAccent)}" stroke-width="2"/>
  <g transform="translate(${iconX} ${pad}) scale(${icon / 100})" fill="${hex(colours.lockAccent)}">
    <path d="M30 45 V30 a20 20 0 0 1 40 0 V45 h-10 V30 a10 10 0 0 0 -20 0 V45 z"/>
    <rect x="20" y="45" width="60" height="48" rx="6"/>
    <circle cx="50" cy="66" r="7" fill="${hex(colours.lockPanel)}"/>
    <rect x="47" y="68" width="6" height="14" fill="${hex(colours.lockPanel)}"/>
  </g>
</svg>`;
  return composeOpaque(width, height, svg, colours.lockCover, [
    { block: title, left: (width - title.width) / 2, top: pad + icon + gap },
    { block: body, left: (width - body.width) / 2, top: pad + icon + gap + title.height + gap },
  ]);
}

/** The small "your teacher may see this screen" badge: a red dot and one line of text. */
export async function renderBadge(text: string, screenHeight: number): Promise<RawImage> {
  const px = Math.round(clamp(screenHeight * 0.018, 12, 22));
  const block = await renderText(text, { px, colour: colours.badgeText, width: px * 40, align: 'left' });
  const padX = Math.round(px * 0.7);
  const padY = Math.round(px * 0.45);
  const dot = Math.round(px * 0.7);
  const width = padX + dot + padX / 1.5 + block.width + padX;
  const height = Math.max(dot, block.height) + 2 * padY;
  const w = Math.round(width);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${height}">
  <rect width="${w}" height="${height}" fill="${hex(colours.badgeBackground)}"/>
  <circle cx="${padX + dot / 2}" cy="${height / 2}" r="${dot / 2}" fill="${hex(colours.badgeDot)}"/>
</svg>`;
  return composeOpaque(w, height, svg, colours.badgeBackground, [{ block, left: padX + dot + padX / 1.5, top: (height - block.height) / 2 }]);
}

/** A teacher's message box: title, text and a "close" hint (a click anywhere on it closes it). */
export async function renderMessageBox(opts: { title: string; text: string; closeLabel: string; screenWidth: number; screenHeight: number }): Promise<RawImage> {
  const { screenWidth: W, screenHeight: H } = opts;
  const width = Math.round(clamp(W * 0.45, Math.min(W, 240), 720));
  const pad = Math.round(clamp(width * 0.04, 10, 24));
  const titlePx = Math.round(clamp(H * 0.026, 13, 28));
  const bodyPx = Math.round(clamp(H * 0.022, 12, 24));
  const inner = width - 2 * pad;
  const [title, body, close] = await Promise.all([
    renderText(opts.title, { px: titlePx, bold: true, colour: colours.messageText, width: inner, align: 'left' }),
    renderText(opts.text, { px: bodyPx, colour: colours.messageText, width: inner, align: 'left', maxHeight: H * 0.5 }),
    renderText(`✕ ${opts.closeLabel}`, { px: Math.round(bodyPx * 0.8), colour: colours.messageText, width: inner, align: 'left' }),
  ]);
  const gap = Math.round(pad * 0.6);
  const height = pad + title.height + gap + body.height + gap + close.height + pad;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect x="1.5" y="1.5" width="${width - 3}" height="${height - 3}" fill="${hex(colours.messageBackground)}" stroke="${hex(colours.messageBorder)}" stroke-width="3"/>
</svg>`;
  return composeOpaque(width, height, svg, colours.messageBackground, [
    { block: title, left: pad, top: pad },
    { block: body, left: pad, top: pad + title.height + gap },
    { block: close, left: width - pad - close.width, top: height - pad - close.height },
  ]);
}
