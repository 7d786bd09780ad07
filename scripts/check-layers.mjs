// Checks the layering rule of ARCHITECTURE.md: every import in src/ goes only where its layer may reach.
//
// Usage: node scripts/check-layers.mjs [ROOT]   (npm run lint:layers; ROOT defaults to this project)
// Reads every import, export-from, dynamic import(), require() and import('…') type in
// ROOT/src/**/*.{ts,tsx,mts,cts} with the TypeScript parser. Exit 0 when clean, 1 with a list of
// violations, 2 when ROOT/src does not exist.
//
//   shared        only shared and zod: it runs in the browser too (no Node built-ins, no packages)
//   renderer      only renderer, shared, react, react-dom, zustand and CSS files
//   preload       only preload, shared and electron (the bridge; at run time it may need electron alone)
//   main          main and shared, Node and packages; never agent, renderer, preload or electron
//   main/electron as main, plus electron: the only place that may import it
//   agent         agent and shared, Node and packages; never main, renderer, preload or electron

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');

const sourceExtensions = ['.ts', '.tsx', '.mts', '.cts'];
const styleExtensions = ['.css'];
const builtins = new Set(builtinModules);

/** Layer names, checked from the most specific folder down. */
const layerFolders = [
  ['main/electron', 'main/electron'],
  ['shared', 'shared'],
  ['renderer', 'renderer'],
  ['preload', 'preload'],
  ['main', 'main'],
  ['agent', 'agent'],
];

/**
 * What each layer may import. `layers`: source layers it may reach by path; `packages`: npm
 * packages (null = any package except electron); `builtins`: Node built-ins; `css`: style files.
 */
const rules = {
  shared: { layers: ['shared'], packages: ['zod'], builtins: false, css: false, why: 'src/shared runs in the browser too' },
  renderer: { layers: ['renderer', 'shared'], packages: ['react', 'react-dom', 'zustand'], builtins: false, css: true, why: 'the renderer is a web page: shared code, React and zustand only' },
  preload: { layers: ['preload', 'shared'], packages: ['electron'], builtins: false, css: false, why: 'the preload is the sandboxed bridge' },
  main: { layers: ['main', 'shared'], packages: null, builtins: true, css: false, why: 'the console core is plain Node and never imports the agent, UI or Electron' },
  'main/electron': { layers: ['main/electron', 'main', 'shared'], packages: null, electron: true, builtins: true, css: false, why: 'the shell imports the console core, shared code and Electron' },
  agent: { layers: ['agent', 'shared'], packages: null, builtins: true, css: false, why: 'the agent never imports the console, the UI or Electron' },
};

/** The layer of a path relative to src/ ("main/electron/x.ts" → "main/electron"), or null outside every layer. */
export function layerOf(relativeToSrc) {
  const normal = relativeToSrc.split(path.sep).join('/');
  for (const [folder, layer] of layerFolders) {
    if (normal === folder || normal.startsWith(`${folder}/`)) return layer;
  }
  return null;
}

/** The package a bare specifier names: "react-dom/client" → "react-dom", "@scope/x/y" → "@scope/x". */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(packageName(specifier));
}

/** Every module specifier a source file names, with its line (1-based). */
export function importsOf(fileName, text) {
  const kind = fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const add = (node) => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    }
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if ((isDynamicImport || isRequire) && node.arguments.length > 0) add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Why `specifier`, imported from `file` (in `layer`), breaks the rules; null when allowed. */
function violation(srcDir, file, layer, specifier) {
  const rule = rules[layer];
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = path.resolve(path.dirname(file), specifier);
    const fromSrc = path.relative(srcDir, target);
    const isStyle = styleExtensions.includes(path.extname(target).toLowerCase());
    if (isStyle) return rule.css ? null : 'a style file';
    if (fromSrc.startsWith('..') || path.isAbsolute(fromSrc)) {
      return rule.packages === null ? null : 'outside src/';
    }
    const targetLayer = layerOf(fromSrc);
    if (targetLayer !== null && rule.layers.includes(targetLayer)) return null;
    return `src/${targetLayer ?? fromSrc.split(path.sep).join('/')}`;
  }
  if (isBuiltin(specifier)) return rule.builtins ? null : 'a Node built-in';
  const name = packageName(specifier);
  if (name === 'electron') return rule.electron || (rule.packages ?? []).includes('electron') ? null : 'Electron';
  if (rule.packages === null || rule.packages.includes(name)) return null;
  return 'a package';
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (sourceExtensions.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
  return out.sort();
}

/** All violations under root/src, each { file, line, specifier, problem, why }. */
export function checkLayers(root) {
  const srcDir = path.join(root, 'src');
  const problems = [];
  for (const file of sourceFiles(srcDir)) {
    const layer = layerOf(path.relative(srcDir, file));
    if (layer === null) continue;
    for (const { specifier, line } of importsOf(file, readFileSync(file, 'utf8'))) {
      const problem = violation(srcDir, file, layer, specifier);
      if (problem) problems.push({ file: path.relative(root, file).split(path.sep).join('/'), line, specifier, problem, why: rules[layer].why });
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const srcDir = path.join(root, 'src');
  if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) {
    console.error(`lint:layers: no src/ folder in ${root}`);
    process.exit(2);
  }
  const problems = checkLayers(root);
  if (problems.length === 0) {
    console.log(`lint:layers: ok (${sourceFiles(srcDir).length} files)`);
    process.exit(0);
  }
  console.error(`lint:layers: ${problems.length} import(s) break the layering rule (ARCHITECTURE.md, "Code layout"):`);
  for (const p of problems) console.error(`  ${p.file}:${p.line}  imports "${p.specifier}" (${p.problem}): ${p.why}`);
  process.exit(1);
}
