// Where the project and its built entry points are. Integration tests run the built code (as
// users do), so they refuse a missing or stale build rather than test old code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const buildHint = 'run "npx tsc -p tsconfig.build.json" (or npm run build) first';

/** A file under dist/, or a clear error telling how to build it. */
export function builtFile(relative: string): string {
  const file = path.join(projectRoot, 'dist', relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: ${buildHint}`);
  return file;
}

/** Sources under src/<area> newer than their built .js (skipping folders a test does not load). */
function staleSources(area: string, skip: readonly string[]): string[] {
  const stale: string[] = [];
  const walk = (folder: string): void => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const built = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skip.includes(entry.name)) walk(built);
        continue;
      }
      if (!entry.name.endsWith('.js')) continue;
      const source = path.join(projectRoot, 'src', path.relative(path.join(projectRoot, 'dist'), built)).replace(/\.js$/, '.ts');
      if (existsSync(source) && statSync(source).mtimeMs > statSync(built).mtimeMs + 1000) stale.push(path.relative(projectRoot, source));
    }
  };
  walk(path.join(projectRoot, 'dist', area));
  return stale;
}

/** Throws unless the console, the shared code and the simulated agent are built and current. */
export function assertBuilt(): void {
  builtFile('main/start.js');
  builtFile('main/cli.js');
  builtFile('agent/cli.js');
  const stale = [
    ...staleSources('main', ['electron', 'filtering']),
    // The console and the simulated agent do not load the filtering code yet.
    ...staleSources('shared', ['filtering']),
    ...staleSources('agent', ['linux', 'win32', 'dns', 'system']),
  ];
  if (stale.length > 0) throw new Error(`dist is older than ${stale.slice(0, 5).join(', ')}: ${buildHint}`);
}
