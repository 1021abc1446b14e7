#!/usr/bin/env node
// The ojd executable: the compiled daemon lives in ../dist (npm run build).
import { main } from '../dist/main/ojd-main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ojd: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
