// Builds the teacher console UI (src/renderer) into dist/renderer, served by web mode and Electron.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./src/renderer', import.meta.url)),
  // Relative asset paths: the same build loads from http://127.0.0.1:PORT/ and from file:// in Electron.
  base: './',
  // React's automatic JSX runtime through esbuild; no plugin needed.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
