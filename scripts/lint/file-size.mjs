#!/usr/bin/env node
// Part of `npm run lint`: no source file of a package (packages/*/src, tests
// included) is over MAX lines. The files over it today are listed below with
// the size they had when listed: such a file may shrink but never grow, and
// its entry must go once it is back under MAX (the list only shrinks).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX = 500;

/** Known exceptions (issue 17): path -> lines when listed. Remove an entry once its file is split. */
const KNOWN = {
  'packages/daemon/src/coordination/resource-coordinator.ts': 602,
};

/** The repository (or, for its test, the tree given as the first argument). */
const root = process.argv[2] ? resolve(process.argv[2]) : join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(entry.name)) yield path;
  }
}

const lines = (path) => {
  const text = readFileSync(path, 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
};

const problems = [];
const seen = new Set();
for (const pkg of readdirSync(join(root, 'packages'))) {
  let files;
  try {
    files = [...sources(join(root, 'packages', pkg, 'src'))];
  } catch {
    continue;
  }
  for (const file of files) {
    const rel = relative(root, file).split('\\').join('/');
    const n = lines(file);
    const known = KNOWN[rel];
    if (known !== undefined) seen.add(rel);
    if (n <= MAX) {
      if (known !== undefined) problems.push(`${rel}: ${n} lines, now within ${MAX}: remove it from KNOWN in scripts/lint/file-size.mjs`);
    } else if (known === undefined) {
      problems.push(`${rel}: ${n} lines, over ${MAX}: split it`);
    } else if (n > known) {
      problems.push(`${rel}: ${n} lines, grew past the ${known} it had when listed as a known exception (over ${MAX}): split it`);
    }
  }
}
for (const rel of Object.keys(KNOWN)) {
  if (!seen.has(rel)) problems.push(`${rel}: listed in KNOWN but gone: remove the entry from scripts/lint/file-size.mjs`);
}

if (problems.length > 0) {
  console.error(`file-size: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const over = Object.keys(KNOWN).length;
console.log(`file-size: every package source file is within ${MAX} lines${over ? ` (${over} known exception(s) left to split)` : ''}`);
