// Override-redirect windows that show a picture: the building block of the lock cover, the lock
// panels, the monitoring badge and the teacher message. The picture becomes the window's
// background pixmap, so the X server repaints it by itself on every expose: nothing to redraw,
// nothing to keep in sync, and it survives our event loop being busy.

import type { Rect, XConnection } from './x-connection.js';
import { toZPixmap, pixelValue, type RawImage, type PixelLayout } from './zpixmap.js';

export function pixelLayout(conn: XConnection): PixelLayout {
  return { pixelBytes: conn.pixelBytes, msbFirst: conn.imageMsbFirst, depth: conn.rootDepth };
}

/** A picture converted once to the server's pixel layout, ready to be put on any number of windows. */
export interface ServerImage {
  data: Buffer;
  width: number;
  height: number;
}

export function toServerImage(conn: XConnection, image: RawImage): ServerImage {
  return { data: toZPixmap(image, pixelLayout(conn)), width: image.width, height: image.height };
}

export interface OverlayOptions {
  parent?: number;
  rect: Rect;
  /** 0xRRGGBB shown where there is no picture (and before it arrives). */
  background: number;
  image?: ServerImage;
  eventMask?: number;
  /** Window name for tools such as xwininfo / xdotool search. */
  name: string;
}

/** Creates (unmapped) an override-redirect window; window managers never move, frame or focus it. */
export function createOverlay(conn: XConnection, options: OverlayOptions): number {
  const wid = conn.allocId();
  conn.createWindow(wid, options.parent ?? conn.root, options.rect, {
    backgroundPixel: pixelValue(options.background, pixelLayout(conn)),
    overrideRedirect: 1,
    ...(options.eventMask ? { eventMask: options.eventMask } : {}),
  });
  if (options.image) setPicture(conn, wid, options.image);
  void conn.nameWindow(wid, options.name, 'SafeLab').catch(() => undefined);
  return wid;
}

/** Puts a picture on a window as its background (the server keeps the pixmap alive while in use). */
export function setPicture(conn: XConnection, wid: number, image: ServerImage): void {
  const pixmap = conn.createPixmapWithImage(image);
  conn.changeWindowAttributes(wid, { backgroundPixmap: pixmap });
  conn.freePixmap(pixmap);
  conn.clearArea(wid);
}
