// The layering rule is checked, not hoped for: the real tree passes, and every kind of forbidden import is reported.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const projectRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const script = path.join(projectRoot, 'scripts', 'check-layers.mjs');

function checkLayers(root: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** "src/x.ts:3 ("spec")" for every violation line of the report. */
function reported(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => /^\s+(\S+:\d+)\s+imports "([^"]+)"/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${match[1]} ${match[2]}`)
    .sort();
}

/** A small src/ tree: every file named bad-* breaks the rule once per marked line; ok-* files do not. */
const fixture: Record<string, string> = {
  'src/shared/ok-shared.ts': "import { z } from 'zod';\nimport { other } from './ok-other.js';\nexport const s = z.string();\nexport { other };\n",
  'src/shared/ok-other.ts': 'export const other = 1;\n',
  'src/shared/bad-node-builtin.ts': "import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n",
  'src/shared/bad-bare-builtin.ts': "import { createHash } from 'crypto';\nexport const h = createHash;\n",
  'src/shared/bad-package.ts': "import WebSocket from 'ws';\nexport const w = WebSocket;\n",
  'src/shared/bad-reaches-main.ts': "export { core } from '../main/core.js';\n",
  'src/shared/bad-type-from-agent.ts': "export type Run = import('../agent/run.js').Run;\n",
  'src/main/core.ts': "import { readFileSync } from 'node:fs';\nimport Database from 'better-sqlite3';\nexport const core = [readFileSync, Database];\n",
  'src/main/bad-agent.ts': "export async function load() {\n  return import('../agent/run.js');\n}\n",
  'src/main/bad-electron.ts': "import { app } from 'electron';\nexport const a = app;\n",
  'src/main/bad-renderer.ts': "import { App } from '../renderer/ok-app.js';\nexport const x = App;\n",
  'src/main/electron/ok-shell.ts':
    "import { app } from 'electron';\nimport { core } from '../core.js';\nimport path from 'node:path';\nimport { other } from '../../shared/ok-other.js';\nexport const s = [app, core, path, other];\n",
  'src/agent/run.ts': "import os from 'node:os';\nimport ws from 'ws';\nexport type Run = number;\nexport const run = [os, ws];\n",
  'src/agent/bad-main.ts': "import type { core } from '../main/core.js';\nexport type C = typeof core;\n",
  'src/agent/bad-electron-require.ts': "const electron = require('electron');\nexport const e = electron;\n",
  'src/renderer/ok-app.tsx':
    "import { useState } from 'react';\nimport { createRoot } from 'react-dom/client';\nimport { create } from 'zustand';\nimport './app.css';\nimport { other } from '../shared/ok-other.js';\nexport const App = [useState, createRoot, create, other];\n",
  'src/renderer/app.css': 'body { margin: 0; }\n',
  'src/renderer/bad-renderer.tsx':
    "import path from 'node:path';\nimport { core } from '../main/core.js';\nimport ws from 'ws';\nexport const x = [path, core, ws];\n",
  'src/preload/index.cts': "import { contextBridge } from 'electron';\nimport type { other } from '../shared/ok-other.js';\nexport type O = typeof other;\nexport const c = contextBridge;\n",
  'src/preload/bad-preload.cts': "import { core } from '../main/core.js';\nexport const c = core;\n",
};

const expectedViolations = [
  'src/agent/bad-electron-require.ts:1 electron',
  'src/agent/bad-main.ts:1 ../main/core.js',
  'src/main/bad-agent.ts:2 ../agent/run.js',
  'src/main/bad-electron.ts:1 electron',
  'src/main/bad-renderer.ts:1 ../renderer/ok-app.js',
  'src/preload/bad-preload.cts:1 ../main/core.js',
  'src/renderer/bad-renderer.tsx:1 node:path',
  'src/renderer/bad-renderer.tsx:2 ../main/core.js',
  'src/renderer/bad-renderer.tsx:3 ws',
  'src/shared/bad-bare-builtin.ts:1 crypto',
  'src/shared/bad-node-builtin.ts:1 node:fs/promises',
  'src/shared/bad-package.ts:1 ws',
  'src/shared/bad-reaches-main.ts:1 ../main/core.js',
  'src/shared/bad-type-from-agent.ts:1 ../agent/run.js',
].sort();

let fixtureRoot: string;

beforeAll(() => {
  fixtureRoot = mkdtempSync(path.join(tmpdir(), 'safelab-layers-'));
  for (const [file, text] of Object.entries(fixture)) {
    mkdirSync(path.dirname(path.join(fixtureRoot, file)), { recursive: true });
    writeFileSync(path.join(fixtureRoot, file), text);
  }
});

afterAll(() => {
  rmSync(fixtureRoot, { recursive: true, force: true });
});

describe('layer check (scripts/check-layers.mjs)', () => {
  it('passes the real source tree', () => {
    const result = checkLayers(projectRoot);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^lint:layers: ok \(\d+ files\)/);
    expect(result.status).toBe(0);
  });

  it('reports every forbidden import of a tree, with file and line, and nothing else', () => {
    const result = checkLayers(fixtureRoot);
    expect(result.status).toBe(1);
    expect(reported(result.stderr)).toEqual(expectedViolations);
    expect(result.stderr).toContain(`lint:layers: ${expectedViolations.length} import(s) break the layering rule`);
  });

  it('says why an import is refused, in the words of the rule', () => {
    const { stderr } = checkLayers(fixtureRoot);
    expect(stderr).toContain('src/shared/bad-node-builtin.ts:1  imports "node:fs/promises" (a Node built-in): src/shared runs in the browser too');
    expect(stderr).toContain('src/main/bad-electron.ts:1  imports "electron" (Electron)');
    expect(stderr).toContain('src/agent/bad-main.ts:1  imports "../main/core.js" (src/main)');
    expect(stderr).toContain('src/renderer/bad-renderer.tsx:3  imports "ws" (a package)');
  });

  it('refuses to pass a folder that has no src/', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'safelab-layers-empty-'));
    try {
      const result = checkLayers(empty);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('no src/ folder');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
