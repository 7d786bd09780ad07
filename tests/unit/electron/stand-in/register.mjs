// Loaded with `node --import`: makes `import … from 'electron'` load the stand-in below (Electron's binary cannot exist on this machine).
import { register } from 'node:module';

register(new URL('./resolve-electron.mjs', import.meta.url));
