// Loads sharp (libvips) the first time a desktop scales or encodes a picture, set up for a small
// agent on an old 2-core PC. An idle agent (no lesson, no lock) never maps libvips at all.
//
// Why these settings:
// - cache(false): libvips keeps up to 50 MB / 100 recent operations by default to replay
//   identical ones; every thumbnail differs, so the cache only holds memory.
// - concurrency(1): one libvips worker thread per image instead of one per core; a 320 px
//   thumbnail every 2 s does not need two cores, and the student's own programs do.

/** The sharp function with its static settings (cache, concurrency, …). */
export type SharpFactory = typeof import('sharp');

/** libvips worker threads per image operation. */
export const sharpThreadsPerImage = 1;

let loading: Promise<SharpFactory> | null = null;

/** sharp, configured once; later calls share the first import. */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    sharp.concurrency(sharpThreadsPerImage);
    return sharp;
  });
  return loading;
}
