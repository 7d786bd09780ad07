// Type-checks the desktop shell (src/main/electron, src/preload) against Electron's types, installed or not.
//
// Usage: node scripts/typecheck-electron.mjs [--root DIR]   (npm run typecheck:electron)
// Exit 0 when clean; 1 on type errors; 2 when Electron's types cannot be found or fetched.

import path from 'node:path';
import { electronTsconfig, ensureElectronTypes, rootFromArgs, runTsc } from './electron-types.mjs';

const root = rootFromArgs(process.argv.slice(2));
let types;
try {
  types = ensureElectronTypes({ root, log: (line) => console.error(line) });
} catch (error) {
  console.error(`typecheck:electron: cannot get Electron's type definitions: ${error.message}`);
  console.error('Install electron (npm install) or allow access to the npm registry once; the types are cached in .cache/electron-types.');
  process.exit(2);
}
const config = electronTsconfig(root, types);
const status = runTsc(root, ['-p', config, '--noEmit']);
if (status === 0) console.log(`typecheck:electron: ok (Electron types from ${types.source === 'installed' ? 'node_modules' : path.relative(root, types.dts)})`);
else console.error('typecheck:electron: type errors above');
process.exit(status === 0 ? 0 : 1);
