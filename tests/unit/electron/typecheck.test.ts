// The desktop shell is type-checked against Electron's real type definitions, whether or not electron is installed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const projectRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const script = path.join(projectRoot, 'scripts', 'typecheck-electron.mjs');
/** tsc over the shell, the console core it starts and Electron's 1 MB of types, on a busy machine. */
const typecheckTimeoutMs = 240_000;

function typecheck(root: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8', timeout: typecheckTimeoutMs });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const fixtures: string[] = [];

afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

describe('typecheck:electron', () => {
  it('passes for the shell and the preload bridge', { timeout: typecheckTimeoutMs }, () => {
    const result = typecheck(projectRoot);
    expect(result.output).toContain('typecheck:electron: ok');
    expect(result.status).toBe(0);
  });

  it('fails on a misuse of the Electron API, so the check really sees Electron types', { timeout: typecheckTimeoutMs }, () => {
    // A project of one shell file, with the real compiler options and the types cached by the run above.
    mkdirSync(path.join(projectRoot, '.cache'), { recursive: true });
    const root = mkdtempSync(path.join(projectRoot, '.cache', 'typecheck-fixture-'));
    fixtures.push(root);
    for (const file of ['package.json', 'tsconfig.base.json', 'tsconfig.electron.json']) cpSync(path.join(projectRoot, file), path.join(root, file));
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(root, 'node_modules'), 'junction');
    const cache = path.join(projectRoot, '.cache', 'electron-types');
    // Empty when electron is installed: then the fixture finds it through node_modules instead.
    for (const entry of existsSync(cache) ? readdirSync(cache, { withFileTypes: true }) : []) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) cpSync(path.join(cache, entry.name), path.join(root, '.cache', 'electron-types', entry.name), { recursive: true });
    }
    mkdirSync(path.join(root, 'src', 'main', 'electron'), { recursive: true });
    writeFileSync(
      path.join(root, 'src', 'main', 'electron', 'main.ts'),
      "// Misuses Electron on purpose.\nimport { app, BrowserWindow } from 'electron';\nexport const name: number = app.getName();\nexport const window = new BrowserWindow({ webPreferences: { sandbox: 'yes' } });\n",
    );

    const result = typecheck(root);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/main\.ts\(3,\d+\): error TS2322/);
    expect(result.output).toMatch(/main\.ts\(4,\d+\): error TS2322/);
    expect(result.output).toContain('typecheck:electron: type errors above');
  });

  it('uses the installed package\'s own types when electron is installed', { timeout: typecheckTimeoutMs }, () => {
    // node_modules = the project's packages plus an electron package carrying only its types (no binary, no cache).
    mkdirSync(path.join(projectRoot, '.cache'), { recursive: true });
    const root = mkdtempSync(path.join(projectRoot, '.cache', 'typecheck-installed-'));
    fixtures.push(root);
    for (const file of ['package.json', 'tsconfig.base.json', 'tsconfig.electron.json']) cpSync(path.join(projectRoot, file), path.join(root, file));
    const modules = path.join(root, 'node_modules');
    mkdirSync(modules);
    for (const entry of readdirSync(path.join(projectRoot, 'node_modules'))) {
      if (entry !== 'electron') symlinkSync(path.join(projectRoot, 'node_modules', entry), path.join(modules, entry), 'junction');
    }
    const cache = path.join(projectRoot, '.cache', 'electron-types');
    const typesFrom = existsSync(path.join(projectRoot, 'node_modules', 'electron', 'electron.d.ts'))
      ? path.join(projectRoot, 'node_modules', 'electron')
      : path.join(cache, readdirSync(cache, { withFileTypes: true }).find((entry) => entry.isDirectory() && !entry.name.startsWith('.'))!.name);
    mkdirSync(path.join(modules, 'electron'));
    cpSync(path.join(typesFrom, 'electron.d.ts'), path.join(modules, 'electron', 'electron.d.ts'));
    writeFileSync(path.join(modules, 'electron', 'package.json'), '{"name":"electron","version":"39.0.0","main":"index.js","types":"electron.d.ts"}');
    mkdirSync(path.join(root, 'src', 'main', 'electron'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'main', 'electron', 'main.ts'), "// Uses Electron correctly.\nimport { app } from 'electron';\nexport const name: string = app.getName();\n");

    const result = typecheck(root);
    expect(result.output).toContain('typecheck:electron: ok (Electron types from node_modules)');
    expect(result.status).toBe(0);
    expect(existsSync(path.join(root, '.cache'))).toBe(false);
  });
});
