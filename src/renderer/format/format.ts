// Numbers, sizes, times and countdowns written the way each UI language writes them.
import type { Language } from '../../shared/i18n/index.js';

export function locale(language: Language): string {
  return language === 'vi' ? 'vi-VN' : 'en-GB';
}

/** 8589934592 → "8 GB" / "8 GB"; 1.5 GiB → "1,5 GB" in Vietnamese. Binary units, shown as KB/MB/GB/TB. */
export function formatBytes(language: Language, bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 100 || unit === 0 ? 0 : 1;
  const text = new Intl.NumberFormat(locale(language), { maximumFractionDigits: digits }).format(value);
  return `${text} ${units[unit]}`;
}

/** Milliseconds left → "29:05"; over an hour → "1:02:03"; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

export function formatTime(language: Language, epochMs: number): string {
  return new Intl.DateTimeFormat(locale(language), { hour: '2-digit', minute: '2-digit' }).format(epochMs);
}

/** Time with seconds, for "updated at" lines that change every few seconds. */
export function formatClock(language: Language, epochMs: number): string {
  return new Intl.DateTimeFormat(locale(language), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(epochMs);
}

export function formatDateTime(language: Language, epochMs: number): string {
  return new Intl.DateTimeFormat(locale(language), { dateStyle: 'short', timeStyle: 'short' }).format(epochMs);
}

export function formatNumber(language: Language, value: number, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(locale(language), { maximumFractionDigits }).format(value);
}
