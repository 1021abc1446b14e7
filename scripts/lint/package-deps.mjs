#!/usr/bin/env node
// Part of `npm run lint`: every dependency a package.json declares is used,
// and every npm package a file loads at run time is declared. For a workspace
// package (packages/*): its `dependencies` against what its src/ and bin/
// import (tests included: they may also use what the root declares). For the
// root: its devDependencies against what test/, scripts/ and the root config
// files import, the binaries its npm scripts run, and the @types/X of an X
// used anywhere. dependency-cruiser (no-non-package-json) also reports an
// undeclared import, but counts an @types/X declaration as declaring X: this
// check does not, for values (an `import type` needs only the types).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Declared but used only later, with the reason (remove once used). */
const KEPT = {};

/** The repository (or, for its test, the tree given as the first argument). */
const root = process.argv[2] ? resolve(process.argv[2]) : join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

function* sources(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'fixtures') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) yield path;
  }
}

/** A bare specifier's package name (`@scope/name` or `name`), or null for a relative, node: or absolute one. */
function packageOf(specifier) {
  if (/^(\.|\/|node:)/.test(specifier) || specifier.includes('${')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? null : name;
}

const VALUE_PATTERNS = [
  /(?:^|[;\s])import\s+(?!type[\s{])[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[;\s])import\s*['"]([^'"]+)['"]/g,
  /(?:^|[;\s])export\s+(?!type[\s{])[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const TYPE_PATTERNS = [/\bimport\s+type\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bexport\s+type\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];

/** Packages a file loads at run time (`values`) and those it names only as types (`types`). */
function importsOf(path) {
  // Comment lines name modules without loading them.
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line))
    .join('\n');
  const collect = (patterns) => {
    const out = new Set();
    for (const re of patterns) for (const m of text.matchAll(re)) {
      const name = packageOf(m[1]);
      if (name) out.add(name);
    }
    return out;
  };
  // A package named by a string constant and loaded with require(variable) (sqlite-driver.ts).
  const named = new Set([...text.matchAll(/['"]([@a-z0-9][\w./@-]*)['"]/g)].map((m) => packageOf(m[1])).filter(Boolean));
  return { values: collect(VALUE_PATTERNS), types: collect(TYPE_PATTERNS), named };
}

const problems = [];
const rootPkg = readJson(join(root, 'package.json'));
const rootDeclared = new Set(Object.keys({ ...rootPkg.dependencies, ...rootPkg.devDependencies }));
const usedAnywhere = new Set();

const workspaces = (rootPkg.workspaces ?? []).map((w) => w.replace(/\/$/, ''));
for (const ws of workspaces) {
  const pkg = readJson(join(root, ws, 'package.json'));
  // An optional peer (`peerDependenciesMeta`) is looked for at run time and may be absent.
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }));
  const used = new Set();
  const named = new Set();
  for (const file of [...sources(join(root, ws, 'src')), ...sources(join(root, ws, 'bin'))]) {
    const imports = importsOf(file);
    const rel = file.slice(root.length + 1);
    const isTest = /\.test(-kit)?\.ts$/.test(file);
    for (const name of imports.values) {
      used.add(name);
      usedAnywhere.add(name);
      if (name === pkg.name || declared.has(name) || (isTest && rootDeclared.has(name))) continue;
      problems.push(`${rel} imports ${name}, which ${ws}/package.json does not declare`);
    }
    for (const name of imports.types) {
      used.add(name);
      usedAnywhere.add(name);
    }
    for (const name of imports.named) named.add(name);
  }
  for (const name of declared) {
    if (used.has(name) || named.has(name)) continue;
    if (KEPT[ws]?.[name]) continue;
    problems.push(`${ws}/package.json declares ${name}, which nothing in ${ws}/src or ${ws}/bin uses`);
  }
  for (const name of Object.keys(KEPT[ws] ?? {})) {
    if (!declared.has(name)) problems.push(`scripts/lint/package-deps.mjs keeps ${name} for ${ws}, which no longer declares it: remove the entry`);
    else if (used.has(name)) problems.push(`scripts/lint/package-deps.mjs keeps ${name} for ${ws}, which now uses it: remove the entry`);
  }
}

// The root: tools and what the tests and scripts load.
const rootFiles = [
  ...sources(join(root, 'test')),
  ...sources(join(root, 'scripts')),
  ...readdirSync(root).filter((f) => /\.(js|mjs|cjs|ts)$/.test(f)).map((f) => join(root, f)),
];
const rootUsed = new Set();
for (const file of rootFiles) {
  const imports = importsOf(file);
  const rel = file.slice(root.length + 1);
  for (const name of imports.values) {
    rootUsed.add(name);
    usedAnywhere.add(name);
    if (rootDeclared.has(name) || workspaces.some((ws) => readJson(join(root, ws, 'package.json')).name === name)) continue;
    problems.push(`${rel} imports ${name}, which the root package.json does not declare${rootDeclared.has(`@types/${name}`) ? ` (only @types/${name})` : ''}`);
  }
  for (const name of imports.types) rootUsed.add(name);
}
const scriptWords = new Set(Object.values(rootPkg.scripts ?? {}).flatMap((s) => s.split(/[\s&|;()]+/)));
const binsOf = (name) => {
  try {
    const p = readJson(join(root, 'node_modules', name, 'package.json'));
    return typeof p.bin === 'string' ? [p.name.split('/').pop()] : Object.keys(p.bin ?? {});
  } catch {
    return [];
  }
};
for (const name of rootDeclared) {
  if (rootUsed.has(name)) continue;
  if (binsOf(name).some((b) => scriptWords.has(b))) continue;
  const typed = name.startsWith('@types/') ? name.slice('@types/'.length) : null;
  if (typed && (typed === 'node' || usedAnywhere.has(typed))) continue;
  problems.push(`package.json declares ${name}, which no test, script or npm script of the root uses`);
}

if (problems.length) {
  for (const p of problems) process.stderr.write(`package-deps: ${p}\n`);
  process.exit(1);
}
process.stdout.write('package-deps: every declared dependency is used, and every package loaded is declared\n');
