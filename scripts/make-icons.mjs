// Draws SafeLab's icons (a white shield with a check, on teal) from one SVG into the PNGs under resources/icons.
//
// Run once after changing the drawing: `node scripts/make-icons.mjs`; the PNGs are committed,
// so builds need neither this script nor sharp.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const iconsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icons');

/** One drawing on a 64-unit grid, so it stays readable at 16 px. */
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect x="2" y="2" width="60" height="60" rx="14" fill="#0f766e"/>
  <path d="M32 9 L52 16 V31 C52 44 43 52 32 56 C21 52 12 44 12 31 V16 Z" fill="#ffffff"/>
  <path d="M23 32 L29.5 38.5 L42 25" fill="none" stroke="#0f766e" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>
</svg>`;

/** File name → edge in pixels. tray@2x is picked up by Electron on high-DPI screens. */
const outputs = {
  'tray.png': 16,
  'tray@2x.png': 32,
  'safelab.png': 256,
};

await mkdir(iconsDir, { recursive: true });
for (const [name, size] of Object.entries(outputs)) {
  await sharp(Buffer.from(svg), { density: Math.ceil((72 * size) / 64) * 2 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(path.join(iconsDir, name));
  console.log(`wrote resources/icons/${name} (${size}x${size})`);
}
