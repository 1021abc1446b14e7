#!/usr/bin/env node
// The oj executable: the compiled client lives in ../dist (npm run build).
// dist/entry.bundle.js is the fast path in one file (scripts/build/bundle-cli.mjs);
// it is used only while no `tsc -b` of the CLI or the protocol has run since
// it was made, else dist/entry.js (same code, one file per module) runs.
import { statSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1: keep V8's compiled code of the CLI on disk between runs
// (NODE_COMPILE_CACHE picks the directory, NODE_DISABLE_COMPILE_CACHE=1 turns
// it off; npm run bench measures it). Node 20 has no such cache.
module.enableCompileCache?.();

const mtime = (rel) => statSync(`${import.meta.dirname}/${rel}`, { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/entry.bundle.js');
const fresh =
  bundled !== undefined &&
  bundled >= (mtime('../dist/.tsbuildinfo') ?? Infinity) &&
  bundled >= (mtime('../../protocol/dist/.tsbuildinfo') ?? 0);
const { run } = await import(fresh ? '../dist/entry.bundle.js' : '../dist/entry.js');

run().catch((err) => {
  process.stderr.write(`oj: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
