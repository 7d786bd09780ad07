// The tray icon: the console keeps running (agents stay connected) while its window is hidden.

import { Menu, Tray, nativeImage } from 'electron';
import { defaultLanguage, translate } from '../../shared/i18n/index.js';

export interface TrayActions {
  show(): void;
  quit(): void;
}

/** Creates the tray icon with Show / Quit; null where the desktop has no tray or the icon is missing. */
export function createTray(iconPath: string, actions: TrayActions): Tray | null {
  const image = nativeImage.createFromPath(iconPath);
  if (image.isEmpty()) return null;
  let tray: Tray;
  try {
    tray = new Tray(image);
  } catch {
    return null;
  }
  const text = (key: string): string => translate(defaultLanguage, key);
  tray.setToolTip(text('shell.tray.tooltip'));
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: text('shell.tray.show'), click: () => actions.show() },
      { type: 'separator' },
      { label: text('shell.tray.quit'), click: () => actions.quit() },
    ]),
  );
  // Windows and most Linux trays: a plain click shows the window too.
  tray.on('click', () => actions.show());
  return tray;
}
