#!/usr/bin/env node
// Part of `npm run lint`: no source file of a package (packages/*/src, tests
// included, and the browser scripts of packages/*/web) is over MAX lines.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX = 500;

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
for (const pkg of readdirSync(join(root, 'packages'))) {
  const files = [];
  for (const dir of ['src', 'web']) {
    try {
      files.push(...sources(join(root, 'packages', pkg, dir)));
    } catch {
      // no such folder
    }
  }
  for (const file of files) {
    const n = lines(file);
    if (n > MAX) problems.push(`${relative(root, file).split('\\').join('/')}: ${n} lines, over ${MAX}: split it`);
  }
}

if (problems.length > 0) {
  console.error(`file-size: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`file-size: every package source file is within ${MAX} lines`);
