// Whether the screens of a lab are "live": some frame arrived within a few refresh intervals.

/** Frames older than this many refresh intervals no longer count as live. */
export const liveFrameIntervals = 3;

/** Used when the console has not said its interval yet. */
export const fallbackThumbnailIntervalMs = 2_000;

export function isLive(receivedAts: number[], now: number, thumbnailIntervalMs: number): boolean {
  const window = liveFrameIntervals * Math.max(thumbnailIntervalMs, 250);
  return receivedAts.some((at) => now - at <= window);
}
