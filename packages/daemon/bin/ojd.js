#!/usr/bin/env node
// The ojd executable: the compiled daemon lives in ../dist (npm run build).
// dist/bundle/ojd.js is the same daemon in a few tree-shaken files
// (scripts/build/bundle-daemon.mjs), which an idle daemon keeps in less
// memory; it is used only while no `tsc -b` of the daemon or the protocol has
// run since it was made, else dist/main/ojd-main.js (one file per module) runs.
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8's compilers stay off until the daemon is busy (src/main/v8-compilers.ts
// turns them on): set before any of the daemon's code is loaded, so that
// starting up does not leave them resident in an idle daemon either.
if ((process.env.OJ_COMPILERS ?? 'on-demand') === 'on-demand') {
  const { COMPILERS_OFF } = await import('../dist/main/v8-compiler-flags.js');
  setFlagsFromString(COMPILERS_OFF);
}

const mtime = (rel) => statSync(`${import.meta.dirname}/${rel}`, { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime('../dist/bundle/ojd.js');
const fresh =
  bundled !== undefined &&
  bundled >= (mtime('../dist/.tsbuildinfo') ?? Infinity) &&
  bundled >= (mtime('../../protocol/dist/.tsbuildinfo') ?? 0);
const { main } = await import(fresh ? '../dist/bundle/ojd.js' : '../dist/main/ojd-main.js');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ojd: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
