#!/usr/bin/env node
// The oj executable: the compiled client lives in ../dist (npm run build).
// dist/entry.bundle.cjs is the fast path in one CommonJS file
// (scripts/build/bundle-cli.mjs), loaded with require: no ES module loader
// runs for `oj status` or `oj pipeline list`. It is used only while no
// `tsc -b` of the CLI or the protocol has run since it was made, else
// dist/entry.js (same code, one ES module per file) runs. This file is
// CommonJS (bin/package.json) for the same reason.
'use strict';
const { statSync } = require('node:fs');
const nodeModule = require('node:module');

// Node >= 22.1: keep V8's compiled code of the CLI on disk between runs
// (NODE_COMPILE_CACHE picks the directory, NODE_DISABLE_COMPILE_CACHE=1 turns
// it off; npm run bench measures it). Node 20 has no such cache.
nodeModule.enableCompileCache?.();

const mtime = (rel) => statSync(`${__dirname}/${rel}`, { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/entry.bundle.cjs');
const fresh =
  bundled !== undefined &&
  bundled >= (mtime('../dist/.tsbuildinfo') ?? Infinity) &&
  bundled >= (mtime('../../protocol/dist/.tsbuildinfo') ?? 0);
const cli = fresh ? Promise.resolve(require('../dist/entry.bundle.cjs')) : import('../dist/entry.js');

cli
  .then(({ run }) => run())
  .catch((err) => {
    process.stderr.write(`oj: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
